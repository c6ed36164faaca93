namespace Engine.Data.Metrics;

/// <summary>Per-image scores of one predicted mask against its target. See <see cref="SegmentationMetrics"/> for the
/// conventions on empty masks.</summary>
public readonly record struct MaskScores(double Dice, double IoU, double Precision, double Recall, double Hd95);
