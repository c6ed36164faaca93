using Engine.Imaging;
using System.Text.Encodings.Web;
using System.Text.Json;
using Engine.Data.Prompts;

namespace Engine.Data.Converters;

/// <summary>Writes a dataset in the standard layout: images, masks (binary PNG), anns/{train,val,test}.json, the
/// prompt templates used and dataset_info.json. Every file is written only when its content changes, so an identical
/// re-run rewrites nothing. File writes are thread-safe; <see cref="Add"/> is not (add records in a fixed order).</summary>
public sealed class DatasetWriter
{
    readonly Dictionary<string, List<DatasetRecord>> _records = DatasetLayout.Splits.ToDictionary(s => s, _ => new List<DatasetRecord>());
    int _written;

    public DatasetWriter(string root, PromptTemplates templates, IConversionLog log)
    {
        Root = root;
        Templates = templates;
        Prompts = new PromptGenerator(templates);
        Log = log;
        Directory.CreateDirectory(DatasetLayout.ImagesDir(root));
        Directory.CreateDirectory(DatasetLayout.MasksDir(root));
        Directory.CreateDirectory(Path.Combine(root, DatasetLayout.AnnotationsFolder));
    }

    public string Root { get; }
    public PromptTemplates Templates { get; }
    public PromptGenerator Prompts { get; }
    public IConversionLog Log { get; }
    public int FilesWritten => _written;

    public void WriteImageBytes(string imageName, ReadOnlySpan<byte> bytes) => Write(Path.Combine(DatasetLayout.ImagesDir(Root), imageName), bytes);
    public void WriteImagePng(string imageName, RgbImage image) => WriteImageBytes(imageName, ImageFiles.EncodeRgbPng(image));
    public void WriteGrayImagePng(string imageName, int width, int height, byte[] gray) => WriteImageBytes(imageName, ImageFiles.EncodeGrayPng(width, height, gray));
    public void WriteMask(string maskName, BinaryMask mask) => Write(Path.Combine(DatasetLayout.MasksDir(Root), maskName), ImageFiles.EncodeMaskPng(mask));

    void Write(string path, ReadOnlySpan<byte> bytes)
    {
        if (FileOutput.WriteIfChanged(path, bytes)) Interlocked.Increment(ref _written);
    }

    /// <summary>Builds the record's prompts from its image and mask and files it under <paramref name="split"/>.</summary>
    public DatasetRecord CreateRecord(string imageName, string maskName, string className, RgbImage image, BinaryMask mask) =>
        new(imageName, maskName, className, Prompts.Generate(className, image, mask));

    public void Add(string split, DatasetRecord record)
    {
        if (!_records.TryGetValue(split, out var list)) throw new ArgumentException($"unknown split '{split}'");
        list.Add(record);
    }

    /// <summary>Writes the annotation files, the templates copy and dataset_info.json; warns about files in images/
    /// or masks/ that no record references (left by an earlier run with other options).</summary>
    public ConversionResult Finish(string dataset, string layout, IReadOnlyList<SkippedItem> skipped, IReadOnlyDictionary<string, string> settings)
    {
        foreach (var split in DatasetLayout.Splits)
            if (AnnotationFile.Write(DatasetLayout.AnnotationPath(Root, split), _records[split])) _written++;
        if (FileOutput.WriteTextIfChanged(DatasetLayout.TemplatesPath(Root), Templates.RawJson)) _written++;

        var recordsPerSplit = DatasetLayout.Splits.ToDictionary(s => s, s => _records[s].Count);
        var imagesPerSplit = DatasetLayout.Splits.ToDictionary(s => s, s => _records[s].Select(r => r.ImageName).Distinct().Count());
        var perClass = _records.Values.SelectMany(r => r).GroupBy(r => r.ClassName).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        var result = new ConversionResult(dataset, layout, Root, recordsPerSplit, imagesPerSplit, perClass, skipped, 0);
        if (FileOutput.WriteTextIfChanged(DatasetLayout.InfoPath(Root), InfoJson(result, settings))) _written++;
        WarnUnreferenced();
        return result with { FilesWritten = _written };
    }

    /// <summary>Prompts regenerated for an existing dataset: rewrite the annotation files only.</summary>
    internal static int RewriteAnnotations(string root, IReadOnlyDictionary<string, List<DatasetRecord>> splits)
    {
        int written = 0;
        foreach (var (split, records) in splits)
            if (AnnotationFile.Write(DatasetLayout.AnnotationPath(root, split), records)) written++;
        return written;
    }

    void WarnUnreferenced()
    {
        var images = _records.Values.SelectMany(r => r).Select(r => r.ImageName).ToHashSet();
        var masks = _records.Values.SelectMany(r => r).Select(r => r.MaskName).ToHashSet();
        foreach (var (dir, used) in new[] { (DatasetLayout.ImagesDir(Root), images), (DatasetLayout.MasksDir(Root), masks) })
        {
            var stray = Directory.EnumerateFiles(dir).Select(Path.GetFileName).Where(n => !used.Contains(n!)).ToList();
            if (stray.Count > 0)
                Log.Warn($"{stray.Count} file(s) in '{dir}' are not referenced by any record (left from an earlier run with other options?), e.g. '{stray.Order(StringComparer.Ordinal).First()}'; they are ignored");
        }
    }

    static string InfoJson(ConversionResult r, IReadOnlyDictionary<string, string> settings)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, IndentSize = 2, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("dataset", r.Dataset);
            w.WriteString("source_layout", r.Layout);
            w.WriteStartObject("settings");
            foreach (var (k, v) in settings.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            void Counts(string name, IReadOnlyDictionary<string, int> d)
            {
                w.WriteStartObject(name);
                foreach (var (k, v) in d) w.WriteNumber(k, v);
                w.WriteEndObject();
            }
            Counts("records", r.RecordsPerSplit);
            Counts("images", r.ImagesPerSplit);
            Counts("classes", r.RecordsPerClass);
            w.WriteStartArray("skipped");
            foreach (var s in r.Skipped)
            {
                w.WriteStartObject();
                w.WriteString("file", Path.GetFileName(s.Path));
                w.WriteString("reason", s.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }
}
