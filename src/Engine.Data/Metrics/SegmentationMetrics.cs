namespace Engine.Data.Metrics;

/// <summary>Per-image segmentation metrics on binary masks of equal size.
/// Conventions for empty masks (P = prediction, T = target):
/// <list type="bullet">
/// <item>Dice = 2|P∩T|/(|P|+|T|), IoU = |P∩T|/|P∪T|: both empty -> 1 (a correct "nothing here"); one empty -> 0.</item>
/// <item>Precision = |P∩T|/|P|: P empty -> 1 if T is empty too, else 0 (predicting nothing when something is there
/// counts as a failure, not as "no false positives").</item>
/// <item>Recall = |P∩T|/|T|: T empty -> 1 if P is empty too, else 0 (any prediction on an empty target is wrong).</item>
/// <item>HD95 (pixels): see <see cref="SurfaceDistance.Hausdorff95"/>; both empty -> 0, exactly one empty -> the image
/// diagonal sqrt(W²+H²), the largest distance possible in that image, so the mean stays finite and penalises misses.</item>
/// </list></summary>
public static class SegmentationMetrics
{
    public static MaskScores Compute(BinaryMask prediction, BinaryMask target)
    {
        CheckSameSize(prediction, target);
        var (tp, fp, fn) = Confusion(prediction.Data, target.Data);
        return new MaskScores(DiceFrom(tp, fp, fn), IoUFrom(tp, fp, fn), PrecisionFrom(tp, fp, fn), RecallFrom(tp, fp, fn),
            SurfaceDistance.Hausdorff95(prediction.Data, target.Data, prediction.Width, prediction.Height));
    }

    public static double Dice(BinaryMask prediction, BinaryMask target) { CheckSameSize(prediction, target); return Dice(prediction.Data, target.Data); }
    public static double IoU(BinaryMask prediction, BinaryMask target) { CheckSameSize(prediction, target); return IoU(prediction.Data, target.Data); }
    public static double Precision(BinaryMask prediction, BinaryMask target) { CheckSameSize(prediction, target); return Precision(prediction.Data, target.Data); }
    public static double Recall(BinaryMask prediction, BinaryMask target) { CheckSameSize(prediction, target); return Recall(prediction.Data, target.Data); }

    public static double Hausdorff95(BinaryMask prediction, BinaryMask target)
    {
        CheckSameSize(prediction, target);
        return SurfaceDistance.Hausdorff95(prediction.Data, target.Data, prediction.Width, prediction.Height);
    }

    public static double Dice(ReadOnlySpan<bool> prediction, ReadOnlySpan<bool> target) { var (tp, fp, fn) = Confusion(prediction, target); return DiceFrom(tp, fp, fn); }
    public static double IoU(ReadOnlySpan<bool> prediction, ReadOnlySpan<bool> target) { var (tp, fp, fn) = Confusion(prediction, target); return IoUFrom(tp, fp, fn); }
    public static double Precision(ReadOnlySpan<bool> prediction, ReadOnlySpan<bool> target) { var (tp, fp, fn) = Confusion(prediction, target); return PrecisionFrom(tp, fp, fn); }
    public static double Recall(ReadOnlySpan<bool> prediction, ReadOnlySpan<bool> target) { var (tp, fp, fn) = Confusion(prediction, target); return RecallFrom(tp, fp, fn); }

    /// <summary>True positives, false positives, false negatives.</summary>
    public static (long Tp, long Fp, long Fn) Confusion(ReadOnlySpan<bool> prediction, ReadOnlySpan<bool> target)
    {
        if (prediction.Length != target.Length)
            throw new ArgumentException($"prediction has {prediction.Length} pixels but target has {target.Length}");
        long tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < prediction.Length; i++)
        {
            bool p = prediction[i], t = target[i];
            if (p && t) tp++;
            else if (p) fp++;
            else if (t) fn++;
        }
        return (tp, fp, fn);
    }

    static double DiceFrom(long tp, long fp, long fn) => tp + fp + fn == 0 ? 1.0 : 2.0 * tp / (2.0 * tp + fp + fn);
    static double IoUFrom(long tp, long fp, long fn) => tp + fp + fn == 0 ? 1.0 : (double)tp / (tp + fp + fn);
    static double PrecisionFrom(long tp, long fp, long fn) => tp + fp == 0 ? (fn == 0 ? 1.0 : 0.0) : (double)tp / (tp + fp);
    static double RecallFrom(long tp, long fp, long fn) => tp + fn == 0 ? (fp == 0 ? 1.0 : 0.0) : (double)tp / (tp + fn);

    static void CheckSameSize(BinaryMask p, BinaryMask t)
    {
        if (p.Width != t.Width || p.Height != t.Height)
            throw new ArgumentException($"prediction is {p.Width}x{p.Height} but target is {t.Width}x{t.Height}; metrics are computed at the target's resolution");
    }
}
