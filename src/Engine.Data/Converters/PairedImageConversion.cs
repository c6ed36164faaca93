namespace Engine.Data.Converters;

/// <summary>The shared pipeline of the 2-D datasets (one image, one binary mask, one class): pair files by name,
/// decode and check each pair in parallel, write images (JPEG/PNG copied byte for byte, other formats re-encoded as
/// PNG) and binarised masks, generate prompts, file records by split in source order, report skipped items.</summary>
public static class PairedImageConversion
{
    static readonly HashSet<string> CopiedExtensions = [".jpg", ".jpeg", ".png"];

    /// <summary>Pairs images and masks by id. <paramref name="maskId"/> maps a mask file stem to the image stem it
    /// belongs to (e.g. "p12" -> "12"). Unpaired files are recorded as skipped.</summary>
    public static List<SourcePair> PairByName(IReadOnlyList<string> images, IReadOnlyList<string> masks, Func<string, string> maskId, List<SkippedItem> skipped)
    {
        var maskById = new Dictionary<string, string>();
        foreach (var m in masks)
        {
            var id = maskId(SourceFiles.Stem(m));
            if (!maskById.TryAdd(id, m)) skipped.Add(new SkippedItem(m, $"second mask for id '{id}' (first: {Path.GetFileName(maskById[id])})"));
        }
        var pairs = new List<SourcePair>();
        var seen = new HashSet<string>();
        foreach (var img in images)
        {
            var id = SourceFiles.Stem(img);
            if (!seen.Add(id)) { skipped.Add(new SkippedItem(img, $"second image with id '{id}'")); continue; }
            if (maskById.TryGetValue(id, out var mask)) pairs.Add(new SourcePair(id, img, mask));
            else skipped.Add(new SkippedItem(img, "no matching mask"));
        }
        foreach (var (id, m) in maskById)
            if (!seen.Contains(id)) skipped.Add(new SkippedItem(m, "no matching image"));
        return pairs;
    }

    /// <summary>Converts <paramref name="pairs"/>; <paramref name="splitOf"/> gives each id's split.</summary>
    public static ConversionResult Run(
        string dataset, string layout, IReadOnlyList<SourcePair> pairs, IReadOnlyDictionary<string, string> splitOf,
        string className, ConversionOptions options, IConversionLog log, List<SkippedItem> skipped,
        IReadOnlyDictionary<string, string> settings)
    {
        var writer = new DatasetWriter(options.OutputDir, Prompts.PromptTemplates.Resolve(options.TemplatesPath), log);
        var results = new DatasetRecord?[pairs.Count];
        var failures = new SkippedItem?[pairs.Count];
        int done = 0;
        Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) }, i =>
        {
            var p = pairs[i];
            try
            {
                var image = ImageFiles.LoadRgb(p.ImagePath);
                var mask = ImageFiles.LoadAndBinarizeMask(p.MaskPath);
                if (image.Width != mask.Width || image.Height != mask.Height)
                    failures[i] = new SkippedItem(p.ImagePath, $"image is {image.Width}x{image.Height} but mask '{Path.GetFileName(p.MaskPath)}' is {mask.Width}x{mask.Height}");
                else
                {
                    var ext = Path.GetExtension(p.ImagePath).ToLowerInvariant();
                    string imageName;
                    if (CopiedExtensions.Contains(ext))
                    {
                        imageName = p.Id + ext;
                        writer.WriteImageBytes(imageName, File.ReadAllBytes(p.ImagePath));
                    }
                    else
                    {
                        imageName = p.Id + ".png";
                        writer.WriteImagePng(imageName, image);
                    }
                    var maskName = p.Id + ".png";
                    writer.WriteMask(maskName, mask);
                    results[i] = writer.CreateRecord(imageName, maskName, className, image, mask);
                }
            }
            catch (DatasetException e)
            {
                failures[i] = new SkippedItem(p.ImagePath, e.Message);
            }
            log.Progress("converting", Interlocked.Increment(ref done), pairs.Count);
        });
        for (int i = 0; i < pairs.Count; i++)
        {
            if (results[i] is { } r) writer.Add(splitOf[pairs[i].Id], r);
            if (failures[i] is { } f) skipped.Add(f);
        }
        ReportSkipped(log, skipped);
        return writer.Finish(dataset, layout, skipped, settings);
    }

    public static void ReportSkipped(IConversionLog log, IReadOnlyList<SkippedItem> skipped)
    {
        if (skipped.Count == 0) return;
        const int shown = 20;
        var lines = skipped.Take(shown).Select(s => $"  {s.Path}: {s.Reason}");
        log.Warn($"skipped {skipped.Count} item(s):\n{string.Join("\n", lines)}" +
                 (skipped.Count > shown ? $"\n  ... and {skipped.Count - shown} more (all listed in {DatasetLayout.InfoFileName})" : ""));
    }

    public static Dictionary<string, string> BaseSettings(ConversionOptions o, SplitSpec split) => new()
    {
        ["seed"] = o.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["split"] = split.ToString(),
    };
}
