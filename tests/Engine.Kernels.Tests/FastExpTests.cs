using System.Runtime.Intrinsics;
using Engine.Kernels.Cpu;
using Xunit;

namespace Engine.Kernels.Tests;

public class FastExpTests
{
    [Fact]
    public void MatchesMathExpWithinTwoUlpOverTheRange()
    {
        var rng = new Random(5);
        for (int i = 0; i < 20000; i++)
        {
            float x = (float)(rng.NextDouble() * 175 - 87);
            float got = FastExp.Exp(Vector256.Create(x)).GetElement(0);
            double want = Math.Exp(x);
            Assert.True(Math.Abs(got - want) <= 2.5e-7 * want, $"exp({x}) = {got}, expected {want}");
        }
    }

    [Fact]
    public void EdgeCases()
    {
        var v = FastExp.Exp(Vector256.Create(float.NegativeInfinity, -100f, 0f, float.NaN, 1f, -87f, 88f, -1e-8f));
        Assert.Equal(0f, v[0]);
        Assert.Equal(0f, v[1]);
        Assert.Equal(1f, v[2]);
        Assert.True(float.IsNaN(v[3]));
        Assert.Equal(MathF.E, v[4], 6);
        Assert.True(v[5] > 0);
        Assert.True(float.IsFinite(v[6]));
    }

    [Fact]
    public void FullRangeEdgeCasesAndAgreementWithExp()
    {
        var v = FastExp.ExpFullRange(Vector256.Create(float.NegativeInfinity, -100f, 0f, float.NaN, 88.7f, 89f, float.PositiveInfinity, 1f));
        Assert.Equal(0f, v[0]);
        Assert.Equal(0f, v[1]);
        Assert.Equal(1f, v[2]);
        Assert.True(float.IsNaN(v[3]));
        Assert.True(Math.Abs(v[4] - Math.Exp(88.7f)) <= 2.5e-7 * Math.Exp(88.7f), $"exp(88.7f) = {v[4]}");
        Assert.Equal(float.PositiveInfinity, v[5]);
        Assert.Equal(float.PositiveInfinity, v[6]);
        Assert.Equal(MathF.E, v[7], 6);

        // Where Exp does not saturate, both variants give the same bits (so ExpFullRange is as accurate as Exp there).
        var rng = new Random(7);
        for (int i = 0; i < 20000; i++)
        {
            var x = Vector256.Create((float)(rng.NextDouble() * 190 - 100));
            if (x[0] > 88.376f) continue;
            Assert.Equal(FastExp.Exp(x)[0], FastExp.ExpFullRange(x)[0]);
        }
    }
    [Fact]
    public void NonPositiveVariantAgreesWithExpAndKeepsTheSoftmaxEdgeCases()
    {
        var rng = new Random(11);
        for (int i = 0; i < 20000; i++)
        {
            var x = Vector256.Create((float)(-rng.NextDouble() * 87.3));
            float got = FastExp.ExpNonPositive(x)[0], want = FastExp.Exp(x)[0];
            // Same polynomial; n rounded to nearest instead of floor(x log2 e + 0.5) can differ only at exact ties.
            Assert.True(Math.Abs(BitConverter.SingleToInt32Bits(got) - BitConverter.SingleToInt32Bits(want)) <= 1,
                $"ExpNonPositive({x[0]}) = {got}, Exp gives {want}");
        }
        var v = FastExp.ExpNonPositive(Vector256.Create(float.NegativeInfinity, -1e30f, -88f, 0f, float.NaN, -87.9f, -1e-8f, -20f));
        Assert.Equal(0f, v[0]);
        Assert.Equal(0f, v[1]);
        Assert.Equal(0f, v[2]);
        Assert.Equal(1f, v[3]);
        Assert.True(float.IsNaN(v[4]));
        Assert.True(v[5] >= 0 && v[5] < 1.2e-38f, $"exp(-87.9) = {v[5]}");
        Assert.Equal(1f, v[6], 6);
        Assert.True(Math.Abs(v[7] - Math.Exp(-20)) <= 2.5e-7 * Math.Exp(-20));
    }

    [Fact]
    public void Base2NonPositiveVariantIsWithinThreeTenMillionthsAndKeepsTheSoftmaxEdgeCases()
    {
        var rng = new Random(13);
        for (int i = 0; i < 40000; i++)
        {
            float x = i < 1000 ? -i / 1000f : (float)(-rng.NextDouble() * 126);
            float got = FastExp.Exp2NonPositive(Vector256.Create(x))[0];
            double want = Math.Pow(2, x);
            Assert.True(Math.Abs(got - want) <= 3e-7 * want, $"2^{x} = {got}, expected {want}");
        }
        var v = FastExp.Exp2NonPositive(Vector256.Create(float.NegativeInfinity, -1e30f, -127f, 0f, float.NaN, -0.5f, -1e-8f, -126f));
        Assert.Equal(0f, v[0]);
        Assert.Equal(0f, v[1]);
        Assert.Equal(0f, v[2]);
        Assert.Equal(1f, v[3]);
        Assert.True(float.IsNaN(v[4]));
        Assert.True(Math.Abs(v[5] - Math.Sqrt(0.5)) <= 3e-7 * Math.Sqrt(0.5), $"2^-0.5 = {v[5]}");
        Assert.Equal(1f, v[6], 6);
        Assert.Equal(MathF.Pow(2, -126), v[7]);
    }
    /// <summary>The 16-lane exponentials (the AVX-512 softmax and QuickGELU) give the same bits as the 8-lane ones on each
    /// half, over the whole non-positive range and its edge cases.</summary>
    [Fact]
    public void SixteenLanesEqualEightLanes()
    {
        var rng = new Random(9);
        var x = new float[4096 + 16];
        float[] special = [float.NegativeInfinity, -1e30f, -127f, -126.6f, -88f, -87.9f, 0f, -0f, float.NaN, -0.5f, -1e-8f, -1e-30f, -20f, -1f, -2.5f, -100f];
        special.CopyTo(x, 0);
        for (int i = 16; i < x.Length; i++) x[i] = (float)(-rng.NextDouble() * (i % 2 == 0 ? 130 : 10));
        for (int i = 0; i < x.Length; i += 16)
        {
            var v = Vector512.Create(x.AsSpan(i, 16));
            var lo = Vector256.Create(x.AsSpan(i, 8)); var hi = Vector256.Create(x.AsSpan(i + 8, 8));
            Same(Vector512.Create(FastExp.ExpNonPositive(lo), FastExp.ExpNonPositive(hi)), FastExp.ExpNonPositive(v), "ExpNonPositive");
            Same(Vector512.Create(FastExp.Exp2NonPositive(lo), FastExp.Exp2NonPositive(hi)), FastExp.Exp2NonPositive(v), "Exp2NonPositive");
        }

        static void Same(Vector512<float> want, Vector512<float> got, string what)
        {
            for (int j = 0; j < 16; j++)
                Assert.True(BitConverter.SingleToInt32Bits(want[j]) == BitConverter.SingleToInt32Bits(got[j]) || (float.IsNaN(want[j]) && float.IsNaN(got[j])),
                    $"{what}: 16 lanes give {got[j]:R}, 8 lanes {want[j]:R}");
        }
    }
}
