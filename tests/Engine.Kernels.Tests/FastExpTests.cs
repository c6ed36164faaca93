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
}
