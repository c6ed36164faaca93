using Engine.Imaging;
using System.Collections.Concurrent;

namespace Engine.Data;

/// <summary>Reads one split of a prepared dataset and validates it on load: every record's image and mask exist,
/// masks are binary 0/255, image and mask sizes agree, and the requested prompt keys exist. Problems raise a
/// <see cref="DatasetValidationException"/> that names each faulty record.</summary>
public sealed class SegmentationDataset
{
    readonly List<DatasetRecord> _records;

    SegmentationDataset(string root, string split, List<DatasetRecord> records)
    {
        Root = root;
        Split = split;
        _records = records;
        Classes = records.Select(r => r.ClassName).Distinct().Order(StringComparer.Ordinal).ToList();
        PromptKeys = records.Count == 0
            ? []
            : records.Skip(1).Aggregate((IEnumerable<string>)records[0].Prompts.Keys, (acc, r) => acc.Intersect(r.Prompts.Keys))
                .Order(PromptKeyOrder.Instance).ToList();
    }

    public string Root { get; }
    public string Split { get; }
    public IReadOnlyList<DatasetRecord> Records => _records;
    public int Count => _records.Count;

    /// <summary>Distinct class names, ordinal order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Prompt keys that every record has, natural order (p0, p1, ..., p10).</summary>
    public IReadOnlyList<string> PromptKeys { get; }

    /// <summary>Splits whose annotation file exists under <paramref name="root"/>.</summary>
    public static IReadOnlyList<string> AvailableSplits(string root) =>
        DatasetLayout.Splits.Where(s => File.Exists(DatasetLayout.AnnotationPath(root, s))).ToList();

    public static SegmentationDataset Load(string root, string split, DatasetLoadOptions? options = null)
    {
        options ??= new DatasetLoadOptions();
        if (!Directory.Exists(root))
            throw new DatasetValidationException($"dataset folder '{root}' does not exist (expected {DatasetLayout.ImagesFolder}/, {DatasetLayout.MasksFolder}/ and {DatasetLayout.AnnotationsFolder}/{{train,val,test}}.json)");
        var annPath = DatasetLayout.AnnotationPath(root, split);
        if (!File.Exists(annPath))
        {
            var have = AvailableSplits(root);
            throw new DatasetValidationException($"split '{split}' not found: '{annPath}' does not exist" +
                                                 (have.Count > 0 ? $" (available: {string.Join(", ", have)})" : $" and '{root}' has no {DatasetLayout.AnnotationsFolder}/*.json"));
        }
        var records = AnnotationFile.Read(annPath);
        var dataset = new SegmentationDataset(root, split, records);
        dataset.Validate(annPath, options);
        return dataset;
    }

    void Validate(string annPath, DatasetLoadOptions options)
    {
        var problems = new ConcurrentBag<(int Index, string Problem)>();
        Parallel.For(0, _records.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) }, i =>
        {
            var r = _records[i];
            foreach (var key in options.RequiredPromptKeys)
                if (!r.Prompts.ContainsKey(key))
                    problems.Add((i, $"has no prompt \"{key}\" (it has: {string.Join(", ", r.Prompts.Keys.Order(PromptKeyOrder.Instance))})"));
            string img = ImagePath(i), mask = MaskPath(i);
            bool imgOk = File.Exists(img), maskOk = File.Exists(mask);
            if (!imgOk) problems.Add((i, $"image file missing: '{img}'"));
            if (!maskOk) problems.Add((i, $"mask file missing: '{mask}'"));
            if (!options.CheckPixels || !imgOk || !maskOk) return;
            try { CheckPair(img, mask); }
            catch (DatasetException e) { problems.Add((i, e.Message)); }
        });
        if (problems.IsEmpty) return;
        var sorted = problems.OrderBy(p => p.Index).ThenBy(p => p.Problem, StringComparer.Ordinal).ToList();
        var lines = sorted.Take(options.MaxReportedProblems).Select(p => $"  {_records[p.Index].Describe(p.Index)}: {p.Problem}");
        var more = sorted.Count > options.MaxReportedProblems ? $"\n  ... and {sorted.Count - options.MaxReportedProblems} more" : "";
        throw new DatasetValidationException($"'{annPath}': {sorted.Count} problem(s):\n{string.Join("\n", lines)}{more}");
    }

    static BinaryMask CheckPair(string imagePath, string maskPath)
    {
        var mask = ImageFiles.LoadStrictBinaryMask(maskPath);
        var (w, h) = ImageFiles.ReadSize(imagePath);
        if (w != mask.Width || h != mask.Height)
            throw new DatasetException($"image is {w}x{h} but mask is {mask.Width}x{mask.Height}");
        return mask;
    }

    public string ImagePath(int index) => Path.Combine(Root, DatasetLayout.ImagesFolder, _records[index].ImageName);
    public string MaskPath(int index) => Path.Combine(Root, DatasetLayout.MasksFolder, _records[index].MaskName);

    public RgbImage LoadImage(int index) => Wrap(index, () => ImageFiles.LoadRgb(ImagePath(index)));

    public BinaryMask LoadMask(int index) => Wrap(index, () => ImageFiles.LoadStrictBinaryMask(MaskPath(index)));

    /// <summary>All variants of prompt <paramref name="key"/> of record <paramref name="index"/>.</summary>
    public IReadOnlyList<string> PromptVariants(int index, string key)
    {
        var r = _records[index];
        if (r.Prompts.TryGetValue(key, out var v)) return v;
        throw new DatasetValidationException(
            $"{Split} {r.Describe(index)} has no prompt \"{key}\" (it has: {string.Join(", ", r.Prompts.Keys.Order(PromptKeyOrder.Instance))})");
    }

    /// <summary>Prompt <paramref name="key"/> of a record: with <paramref name="rng"/> one variant drawn at random
    /// (always exactly one draw, whatever the number of variants, so the random stream does not depend on the
    /// data); without it the first variant (deterministic evaluation).</summary>
    public string Prompt(int index, string key, Random? rng = null)
    {
        var variants = PromptVariants(index, key);
        if (rng is null) return variants[0];
        return variants[rng.Next(variants.Count)];
    }

    /// <summary>Stateless seeded choice: the same (seed, epoch, index, key) always gives the same variant, so a
    /// resumed run draws what an uninterrupted one would.</summary>
    public string Prompt(int index, string key, int seed, int epoch)
    {
        var variants = PromptVariants(index, key);
        if (variants.Count == 1) return variants[0];
        ulong h = SplitMix.Mix((ulong)(uint)seed ^ SplitMix.Mix((ulong)(uint)epoch << 32 | (uint)index) ^ StableHash(key));
        return variants[(int)(h % (ulong)variants.Count)];
    }

    public SegmentationSample Get(int index, string promptKey, Random? rng = null)
    {
        var prompt = Prompt(index, promptKey, rng);
        var image = LoadImage(index);
        var mask = LoadMask(index);
        if (image.Width != mask.Width || image.Height != mask.Height)
            throw new DatasetValidationException($"{Split} {_records[index].Describe(index)}: image is {image.Width}x{image.Height} but mask is {mask.Width}x{mask.Height}");
        return new SegmentationSample(index, _records[index], image, mask, prompt);
    }

    T Wrap<T>(int index, Func<T> load)
    {
        try { return load(); }
        catch (DatasetException e) when (e is not DatasetValidationException)
        {
            throw new DatasetValidationException($"{Split} {_records[index].Describe(index)}: {e.Message}");
        }
    }

    static ulong StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }
}
