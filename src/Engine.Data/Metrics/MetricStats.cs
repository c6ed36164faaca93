namespace Engine.Data.Metrics;

/// <summary>Aggregates of per-image scores. The standard deviation is the population one (divide by n, like
/// numpy.std's default), 0 for a single value; both are NaN for an empty list.</summary>
public static class MetricStats
{
    public static double Mean(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return double.NaN;
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Count;
    }

    public static double StandardDeviation(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return double.NaN;
        double mean = Mean(values), ss = 0;
        foreach (var v in values) ss += (v - mean) * (v - mean);
        return Math.Sqrt(ss / values.Count);
    }

    public static (double Mean, double Std) MeanAndStd(IReadOnlyCollection<double> values) => (Mean(values), StandardDeviation(values));

    /// <summary>Mean and std of each score over a list of per-image scores.</summary>
    public static (MaskScores Mean, MaskScores Std) Summarize(IReadOnlyList<MaskScores> scores)
    {
        (double, double) Of(Func<MaskScores, double> f) => MeanAndStd(scores.Select(f).ToList());
        var d = Of(s => s.Dice); var i = Of(s => s.IoU); var p = Of(s => s.Precision); var r = Of(s => s.Recall); var h = Of(s => s.Hd95);
        return (new MaskScores(d.Item1, i.Item1, p.Item1, r.Item1, h.Item1), new MaskScores(d.Item2, i.Item2, p.Item2, r.Item2, h.Item2));
    }
}
