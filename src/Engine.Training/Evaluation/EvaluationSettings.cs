namespace Engine.Training.Evaluation;

/// <summary>How <see cref="SegmentationEvaluator"/> runs.</summary>
public sealed record EvaluationSettings
{
    /// <summary>Probability threshold (a pixel is foreground when p &gt; threshold); null = the model family's default.</summary>
    public float? Threshold { get; init; }

    /// <summary>Images per model call (images that share the same prompt list are batched).</summary>
    public int BatchSize { get; init; } = 8;
}
