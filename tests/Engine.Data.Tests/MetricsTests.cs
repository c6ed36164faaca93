using Engine.Data.Metrics;
using Xunit;

namespace Engine.Data.Tests;

public class MetricsTests
{
    static BinaryMask Mask(int w, int h, params (int X, int Y)[] on)
    {
        var m = new BinaryMask(w, h);
        foreach (var (x, y) in on) m[x, y] = true;
        return m;
    }

    static BinaryMask Rect(int w, int h, int x0, int y0, int x1, int y1)
    {
        var m = new BinaryMask(w, h);
        for (int y = y0; y <= y1; y++) for (int x = x0; x <= x1; x++) m[x, y] = true;
        return m;
    }

    [Fact]
    public void OverlappingSquares_HandComputed()
    {
        // pred = 2x2 at (0,0), target = 2x2 at (1,1): TP 1, FP 3, FN 3.
        var p = Rect(4, 4, 0, 0, 1, 1);
        var t = Rect(4, 4, 1, 1, 2, 2);
        var s = SegmentationMetrics.Compute(p, t);
        Assert.Equal(0.25, s.Dice, 12);
        Assert.Equal(1.0 / 7, s.IoU, 12);
        Assert.Equal(0.25, s.Precision, 12);
        Assert.Equal(0.25, s.Recall, 12);
    }

    [Fact]
    public void PrecisionAndRecallDiffer_HandComputed()
    {
        // pred 2x1 inside target 2x2: TP 2, FP 0, FN 2.
        var p = Rect(4, 4, 0, 0, 1, 0);
        var t = Rect(4, 4, 0, 0, 1, 1);
        var s = SegmentationMetrics.Compute(p, t);
        Assert.Equal(2.0 * 2 / (2 * 2 + 2), s.Dice, 12);
        Assert.Equal(0.5, s.IoU, 12);
        Assert.Equal(1.0, s.Precision, 12);
        Assert.Equal(0.5, s.Recall, 12);
    }

    [Fact]
    public void EmptyMaskConventions()
    {
        var empty = new BinaryMask(6, 8);
        var some = Rect(6, 8, 1, 1, 2, 2);
        var both = SegmentationMetrics.Compute(empty, new BinaryMask(6, 8));
        Assert.Equal(new MaskScores(1, 1, 1, 1, 0), both);
        var missed = SegmentationMetrics.Compute(empty, some);
        Assert.Equal(new MaskScores(0, 0, 0, 0, 10), missed);   // diagonal of 6x8 = 10
        var falseAlarm = SegmentationMetrics.Compute(some, empty);
        Assert.Equal(new MaskScores(0, 0, 0, 0, 10), falseAlarm);
    }

    [Fact]
    public void Hausdorff95_SinglePixels_IsTheirDistance()
    {
        var a = Mask(10, 10, (0, 0));
        var b = Mask(10, 10, (3, 4));
        Assert.Equal(5.0, SegmentationMetrics.Hausdorff95(a, b), 12);
        Assert.Equal(0.0, SegmentationMetrics.Hausdorff95(a, a), 12);
    }

    [Fact]
    public void Hausdorff95_ShiftedSquare_HandComputed()
    {
        // 3x3 squares two pixels apart: surface distances 0,0,0,1,1,2,2,2 each way -> p95 = 2.
        var a = Rect(10, 8, 2, 2, 4, 4);
        var b = Rect(10, 8, 4, 2, 6, 4);
        Assert.Equal(2.0, SegmentationMetrics.Hausdorff95(a, b), 12);
    }

    [Fact]
    public void Percentile_InterpolatesLikeNumpy()
    {
        Assert.Equal(3.85, SurfaceDistance.Percentile([4, 1, 3, 2], 95), 12);
        Assert.Equal(7.0, SurfaceDistance.Percentile([7], 95), 12);
    }

    [Fact]
    public void Hausdorff95_FastMatchesNaive_OnRandomMasks()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 40; trial++)
        {
            int w = rng.Next(3, 30), h = rng.Next(3, 30);
            var a = new bool[w * h]; var b = new bool[w * h];
            double pa = rng.NextDouble() * 0.5, pb = rng.NextDouble() * 0.5;
            for (int i = 0; i < a.Length; i++) { a[i] = rng.NextDouble() < pa; b[i] = rng.NextDouble() < pb; }
            Assert.Equal(SurfaceDistance.Hausdorff95Naive(a, b, w, h), SurfaceDistance.Hausdorff95(a, b, w, h), 9);
        }
    }

    [Fact]
    public void MeanAndPopulationStd()
    {
        var (mean, std) = MetricStats.MeanAndStd([1.0, 2, 3, 4]);
        Assert.Equal(2.5, mean, 12);
        Assert.Equal(Math.Sqrt(1.25), std, 12);
        Assert.Equal(0.0, MetricStats.StandardDeviation([3.0]), 12);
        Assert.True(double.IsNaN(MetricStats.Mean([])));
        var (m, s) = MetricStats.Summarize([new MaskScores(1, 1, 1, 1, 0), new MaskScores(0, 0.5, 0, 0, 4)]);
        Assert.Equal(new MaskScores(0.5, 0.75, 0.5, 0.5, 2), m);
        Assert.Equal(new MaskScores(0.5, 0.25, 0.5, 0.5, 2), s);
    }

    [Fact]
    public void SizeMismatch_IsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => SegmentationMetrics.Compute(new BinaryMask(4, 4), new BinaryMask(5, 4)));
        Assert.Contains("4x4", e.Message);
        Assert.Contains("5x4", e.Message);
    }
}
