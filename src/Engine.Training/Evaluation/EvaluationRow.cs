using Engine.Data.Metrics;

namespace Engine.Training.Evaluation;

/// <summary>Scores of one record (image, class mask) under one prompt key, at the image's original resolution.</summary>
public sealed record EvaluationRow(
    string PromptKey, int Record, string ImageName, string MaskName, string ClassName, string Prompt,
    MaskScores Scores, long PredictedPixels, long TargetPixels);
