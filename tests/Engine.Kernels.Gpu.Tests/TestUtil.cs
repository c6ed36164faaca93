using Xunit;

namespace Engine.Kernels.Gpu.Tests;

internal static class TestUtil
{
    public static float[] Random(int n, int seed, float lo = -1f, float hi = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (float)r.NextDouble() * (hi - lo);
        return a;
    }

    /// <summary>|actual - expected| <= atol + rtol * |expected| for every element; reports the worst element.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float atol, float rtol = 0f, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1; double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)expected[i] - actual[i]);
            double excess = diff - (atol + rtol * Math.Abs(expected[i]));
            if (double.IsNaN(actual[i]) != double.IsNaN(expected[i]) || excess > worstExcess) { worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess; worst = i; }
        }
        if (worst >= 0)
            Assert.Fail($"{what}: element {worst} expected {expected[worst]} got {actual[worst]} (tolerance {atol} + {rtol} rel), {expected.Length} elements.");
    }
}
