namespace Engine.Training.Evaluation;

/// <summary>Options of <c>engine test</c>.</summary>
public sealed record EvalOptions
{
    public required string ModelDir { get; init; }
    public required string DataRoot { get; init; }
    public string Split { get; init; } = "test";
    /// <summary>Prompt keys to evaluate; <see cref="AllPromptKeys"/> = every key all records have (prompt-sensitivity table).</summary>
    public IReadOnlyList<string> PromptKeys { get; init; } = new[] { "p1" };
    public bool AllPromptKeys { get; init; }
    public required string OutDir { get; init; }
    /// <summary>null = the model family's default.</summary>
    public float? Threshold { get; init; }
    /// <summary>Write predicted masks, probability maps, overlays (and label maps on multi-class data).</summary>
    public bool SaveMasks { get; init; }
    /// <summary>Marks the evaluation as zero-shot (a model that was never fine-tuned) in summary.json.</summary>
    public bool ZeroShot { get; init; }
    public int BatchSize { get; init; } = 8;
    public string Device { get; init; } = "cpu";
    public long CacheBytes { get; init; } = 1L << 30;

    /// <summary>Parses <c>--prompt</c>: "all" or a comma list of keys.</summary>
    public static (IReadOnlyList<string> Keys, bool All) ParsePromptKeys(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("--prompt is empty; give a key (e.g. p4), a list (p1,p4) or all.");
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return (Array.Empty<string>(), true);
        var keys = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count == 0) throw new ArgumentException($"--prompt '{text}' names no key.");
        return (keys, false);
    }
}
