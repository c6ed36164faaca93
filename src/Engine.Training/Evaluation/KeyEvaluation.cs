using Engine.Data.Metrics;

namespace Engine.Training.Evaluation;

/// <summary>Result of evaluating one prompt key on one split.</summary>
public sealed class KeyEvaluation
{
    public KeyEvaluation(string promptKey, IReadOnlyList<EvaluationRow> rows, IReadOnlyDictionary<string, double>? labelMapDice, double seconds, string? skippedReason = null)
    {
        PromptKey = promptKey; Rows = rows; LabelMapDice = labelMapDice; Seconds = seconds; SkippedReason = skippedReason;
    }

    public string PromptKey { get; }
    public IReadOnlyList<EvaluationRow> Rows { get; }
    /// <summary>Per class, the mean Dice of the combined label map's class region against the class mask (multi-class data only).</summary>
    public IReadOnlyDictionary<string, double>? LabelMapDice { get; }
    public double Seconds { get; }
    /// <summary>Set when the key was not evaluated (e.g. its prompts are empty).</summary>
    public string? SkippedReason { get; }

    public bool Skipped => SkippedReason is not null;

    /// <summary>Mean and population standard deviation of each metric over the rows.</summary>
    public (MaskScores Mean, MaskScores Std) Summary() => MetricStats.Summarize(Rows.Select(r => r.Scores).ToList());

    /// <summary>Per class name, the summary over that class's rows.</summary>
    public IReadOnlyDictionary<string, (MaskScores Mean, MaskScores Std, int Count)> PerClass()
        => Rows.GroupBy(r => r.ClassName, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g =>
            {
                var (m, s) = MetricStats.Summarize(g.Select(r => r.Scores).ToList());
                return (m, s, g.Count());
            }, StringComparer.Ordinal);
}
