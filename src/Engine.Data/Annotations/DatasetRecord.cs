namespace Engine.Data;

/// <summary>One annotation record: an image, the binary mask of one class in it, and its prompts by key (p0, p1, ...).
/// A prompt holds one or more variants; with several, training draws one at random each time.
/// Multi-class datasets hold one record per (image, class) pair, each with its own mask.</summary>
public sealed record DatasetRecord(
    string ImageName,
    string MaskName,
    string ClassName,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Prompts)
{
    /// <summary>"record 3 (img 'a.png', mask 'a.png', class 'polyp')": how errors name a record.</summary>
    public string Describe(int index) => $"record {index} (img '{ImageName}', mask '{MaskName}', class '{ClassName}')";
}
