namespace Engine.Data.Converters;

/// <summary>A skipped source item and why.</summary>
public sealed record SkippedItem(string Path, string Reason);

/// <summary>What a conversion produced: records per split, images per split, records per class, skipped items and
/// how many files were (re)written (0 on an identical re-run).</summary>
public sealed record ConversionResult(
    string Dataset,
    string Layout,
    string OutputDir,
    IReadOnlyDictionary<string, int> RecordsPerSplit,
    IReadOnlyDictionary<string, int> ImagesPerSplit,
    IReadOnlyDictionary<string, int> RecordsPerClass,
    IReadOnlyList<SkippedItem> Skipped,
    int FilesWritten)
{
    public string Summary()
    {
        string Per(IReadOnlyDictionary<string, int> d) => string.Join(", ", d.Select(kv => $"{kv.Key} {kv.Value}"));
        return $"{Dataset} ({Layout}) -> {OutputDir}\n  records: {Per(RecordsPerSplit)}\n  images:  {Per(ImagesPerSplit)}\n" +
               $"  classes: {Per(RecordsPerClass)}\n  skipped: {Skipped.Count}; files written: {FilesWritten}";
    }
}
