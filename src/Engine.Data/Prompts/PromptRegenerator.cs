using Engine.Data.Converters;

namespace Engine.Data.Prompts;

/// <summary><c>engine data prompts --regenerate</c>: rebuilds every record's prompts of an existing dataset from its
/// image, mask and class with the given templates (default: the dataset's own prompt_templates.json, else the shipped
/// one). A templates file given explicitly is copied into the dataset so it records what made its prompts.</summary>
public static class PromptRegenerator
{
    /// <returns>Records regenerated per split.</returns>
    public static IReadOnlyDictionary<string, int> Regenerate(string root, string? templatesPath, IConversionLog log, int maxDegreeOfParallelism = 0)
    {
        var splits = SegmentationDataset.AvailableSplits(root);
        if (splits.Count == 0)
            throw new DatasetValidationException($"'{root}' has no {DatasetLayout.AnnotationsFolder}/{{train,val,test}}.json: not a prepared dataset");
        var templates = PromptTemplates.Resolve(templatesPath, root);
        var generator = new PromptGenerator(templates);
        log.Info($"regenerating prompts of '{root}' with templates from {templates.Source}");
        var rewritten = new Dictionary<string, List<DatasetRecord>>();
        foreach (var split in splits)
        {
            var dataset = SegmentationDataset.Load(root, split, new DatasetLoadOptions { CheckPixels = false });
            var records = new DatasetRecord[dataset.Count];
            int done = 0;
            Parallel.For(0, dataset.Count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount }, i =>
            {
                var r = dataset.Records[i];
                var image = dataset.LoadImage(i);
                var mask = dataset.LoadMask(i);
                if (image.Width != mask.Width || image.Height != mask.Height)
                    throw new DatasetValidationException($"{split} {r.Describe(i)}: image is {image.Width}x{image.Height} but mask is {mask.Width}x{mask.Height}");
                records[i] = r with { Prompts = generator.Generate(r.ClassName, image, mask) };
                log.Progress(split, Interlocked.Increment(ref done), dataset.Count);
            });
            rewritten[split] = records.ToList();
        }
        int written = DatasetWriter.RewriteAnnotations(root, rewritten);
        if (templatesPath is not null && FileOutput.WriteTextIfChanged(DatasetLayout.TemplatesPath(root), templates.RawJson)) written++;
        log.Info($"{written} file(s) changed");
        return rewritten.ToDictionary(kv => kv.Key, kv => kv.Value.Count);
    }
}
