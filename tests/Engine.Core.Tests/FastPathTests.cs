using System.Runtime.Intrinsics;
using Engine.Backends;
using Engine.Kernels.Cpu;
using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

/// <summary>The vectorised/parallel CPU paths against their scalar or naive references: activations, the row-few
/// GEMM, broadcasting binary ops split inside long rows, and the parallel strided copy.</summary>
public class FastPathTests
{
    private static float[] Values(int n, int seed, float scale)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return v;
    }

    [Fact]
    public void VectorGeluIsBitIdenticalToTheScalarReference()
    {
        var special = new[] { 0f, -0f, 1e-30f, -1e-30f, 9.99f, 10f, 14.142f, 14.1422f, -14.1422f, 20f, -20f, -6f, -4.5f, 3.3f,
                              float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, float.Epsilon };
        var x = special.Concat(Values(4099, 1, 8f)).Concat(Values(1001, 2, 30f)).ToArray();
        var y = new float[x.Length];
        VectorMath.Gelu(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            float r = ScalarMath.Gelu(x[i]);
            Assert.True(BitConverter.SingleToInt32Bits(r) == BitConverter.SingleToInt32Bits(y[i]) || (float.IsNaN(r) && float.IsNaN(y[i])),
                $"gelu({x[i]:R}): vector {y[i]:R}, scalar {r:R}");
        }
        // in place (y aliases x)
        var inPlace = (float[])x.Clone();
        VectorMath.Gelu(inPlace, inPlace);
        for (int i = 0; i < x.Length; i++) Assert.Equal(BitConverter.SingleToInt32Bits(y[i]), BitConverter.SingleToInt32Bits(inPlace[i]));
    }

    /// <summary>The 16-lane QuickGELU and ReLU (the AVX-512 epilogues and span loops) give the same bits as the 8-lane ones
    /// on each half: a result must not depend on which width the hardware ran.</summary>
    [Fact]
    public void SixteenLaneActivationsEqualTheEightLaneOnes()
    {
        var x = new[] { 0f, -0f, float.NaN, 50f, -50f, 100f, -100f, 88.5f, -88.5f, float.PositiveInfinity, float.NegativeInfinity, 1e-30f, -1e-30f, 3.3f, -4.5f, 9f }
            .Concat(Values(4096, 7, 12f)).ToArray();
        for (int i = 0; i + 16 <= x.Length; i += 16)
        {
            var v = Vector512.Create(x.AsSpan(i, 16));
            var lo = Vector256.Create(x.AsSpan(i, 8)); var hi = Vector256.Create(x.AsSpan(i + 8, 8));
            AssertSameBits(Vector512.Create(VectorMath.QuickGelu(lo), VectorMath.QuickGelu(hi)), VectorMath.QuickGelu(v), "quick_gelu");
            AssertSameBits(Vector512.Create(VectorMath.Relu(lo), VectorMath.Relu(hi)), VectorMath.Relu(v), "relu");
        }

        static void AssertSameBits(Vector512<float> want, Vector512<float> got, string what)
        {
            for (int j = 0; j < 16; j++)
                Assert.True(BitConverter.SingleToInt32Bits(want[j]) == BitConverter.SingleToInt32Bits(got[j]) || (float.IsNaN(want[j]) && float.IsNaN(got[j])),
                    $"{what}: 16 lanes give {got[j]:R}, 8 lanes {want[j]:R}");
        }
    }

    [Fact]
    public void VectorActivationsMatchScalarFormulas()
    {
        var x = new[] { 0f, -0f, float.NaN, 50f, -50f, 100f, -100f, 88.5f, -88.5f }.Concat(Values(2051, 3, 12f)).ToArray();
        var g = Values(x.Length, 4, 2f);
        var y = new float[x.Length]; var o = new float[x.Length];

        VectorMath.QuickGelu(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i], r = v / (1 + Math.Exp(-1.702 * v));
            if (double.IsNaN(v)) Assert.True(float.IsNaN(y[i])); else Assert.True(Math.Abs(y[i] - r) <= 2e-6 * (1 + Math.Abs(r)), $"quick_gelu({v}) = {y[i]}, expected {r}");
        }
        VectorMath.QuickGeluGrad(x, g, o);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            if (double.IsNaN(v)) continue;
            double s = 1 / (1 + Math.Exp(-1.702 * v)), r = g[i] * (s + 1.702 * v * s * (1 - s));
            Assert.True(Math.Abs(o[i] - r) <= 1e-5 * (1 + Math.Abs(r)), $"quick_gelu'({v}) = {o[i]}, expected {r}");
        }
        VectorMath.Relu(x, y);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(x[i] > 0 || float.IsNaN(x[i]) ? x[i] : 0f, y[i]);
        VectorMath.ReluGrad(x, g, o);
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i] > 0 ? g[i] : 0f, o[i]);

        var t = x.Select(v => (float)Math.Tanh(v)).ToArray();
        VectorMath.TanhGrad(t, g, o);
        for (int i = 0; i < x.Length; i++) if (!float.IsNaN(t[i])) Assert.Equal(g[i] * (1f - t[i] * t[i]), o[i], 6);
        var s2 = x.Select(v => (float)(1 / (1 + Math.Exp(-v)))).ToArray();
        VectorMath.SigmoidGrad(s2, g, o);
        for (int i = 0; i < x.Length; i++) if (!float.IsNaN(s2[i])) Assert.Equal(g[i] * s2[i] * (1f - s2[i]), o[i], 6);
    }

    [Fact]
    public void VectorExpIsAccurate()
    {
        var x = new[] { 0f, 1f, -1f, 88f, 88.37f, 88.38f, 89f, -87f, -87.33f, -88f, -100f, float.NaN, float.PositiveInfinity, float.NegativeInfinity }
            .Concat(Values(1000, 5, 80f)).ToArray();
        for (int i = 0; i + 8 <= x.Length; i += 8)
        {
            var e = FastExp.ExpFullRange(Vector256.Create(x, i)); // the exp VectorMath's activations use
            for (int l = 0; l < 8; l++)
            {
                double r = Math.Exp(x[i + l]);
                float v = e.GetElement(l);
                if (double.IsNaN(r)) Assert.True(float.IsNaN(v));
                else if (r > float.MaxValue) Assert.Equal(float.PositiveInfinity, v);
                else if (r < 1.2e-38) Assert.True(v >= 0 && v < 1.2e-38f, $"exp({x[i + l]}) = {v}");
                else Assert.True(Math.Abs(v - r) <= 3e-7 * r, $"exp({x[i + l]:R}) = {v:R}, expected {r:R}");
            }
        }
    }

    /// <summary>C = alpha op(A) op(B) + beta C by the triple loop, in double.</summary>
    private static float[] NaiveGemm(bool transB, int m, int n, int k, float alpha, float[] a, float[] b, float beta, float[] c)
    {
        var r = (float[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * (transB ? b[j * k + p] : b[p * n + j]);
                r[i * n + j] = (float)(alpha * s + (beta == 0 ? 0 : beta * c[i * n + j]));
            }
        return r;
    }

    [Fact]
    public void RowFewGemmMatchesTheNaiveProduct()
    {
        var be = CpuBackend.Instance;
        foreach (int m in new[] { 1, 2, 3, 7, 13, 16 })
            foreach (int n in new[] { 16, 19, 33, 70 })
                foreach (int k in new[] { 16, 37, 130 })
                    foreach (bool transB in new[] { false, true })
                        foreach (float beta in new[] { 0f, 1f, 0.5f })
                        {
                            Assert.True(SkinnyGemm.Applies(false, m, n, k));
                            var a = Values(m * k, m + n, 1f); var b = Values(n * k, k, 1f);
                            var c = Values(m * n, 7, 1f);
                            if (beta == 0) c[0] = float.NaN; // beta = 0 ignores C, NaN included
                            var expected = NaiveGemm(transB, m, n, k, 1.5f, a, b, beta, c);
                            var ct = Tensor.FromArray((float[])c.Clone(), m, n);
                            be.Gemm(false, transB, m, n, k, 1.5f, Tensor.FromArray(a, m, k).Storage, 0, k,
                                    Tensor.FromArray(b, transB ? n : k, transB ? k : n).Storage, 0, transB ? k : n, beta, ct.Storage, 0, n);
                            Close(Array.ConvertAll(expected, v => (double)v), ct.ToArray(), 1e-4, 1e-4, $"m{m} n{n} k{k} tB{transB} beta{beta}");
                        }
        // through Linear (bias pre-filled, beta 1) with a strided output row length
        var x = Rand(1, 5, 40); var w = Rand(2, 24, 40); var bias = Rand(3, 24);
        var y = Ops.Linear(x, w, bias).ToArray();
        var xa = x.ToArray(); var wa = w.ToArray(); var ba = bias.ToArray();
        var exp = new double[5 * 24];
        for (int i = 0; i < 5; i++) for (int j = 0; j < 24; j++) { double s = ba[j]; for (int p = 0; p < 40; p++) s += (double)xa[i * 40 + p] * wa[j * 40 + p]; exp[i * 24 + j] = s; }
        Close(exp, y, 1e-4, 1e-4);
        Assert.Throws<ArgumentException>(() => be.Gemm(false, true, 4, 20, 20, 1f, Tensor.Zeros(4 * 20 - 1).Storage, 0, 20, Tensor.Zeros(400).Storage, 0, 20, 0f, Tensor.Zeros(80).Storage, 0, 20));
    }

    [Fact]
    public void BinaryOpsSplitInsideLongRowsMatchNaive()
    {
        // one coalesced row of 150k elements (split across workers), and two rows with a broadcast operand
        var a = Rand(1, 150_001); var b = Rand(2, 150_001);
        var sum = Ops.Add(a, b).ToArray(); var aa = a.ToArray(); var ba = b.ToArray();
        for (int i = 0; i < aa.Length; i++) Assert.Equal(aa[i] + ba[i], sum[i]);
        var a2 = Rand(3, 2, 70_003); var s = Rand(4, 2, 1);
        var prod = Ops.Mul(a2, s).ToArray(); var a2a = a2.ToArray(); var sa = s.ToArray();
        for (int i = 0; i < a2a.Length; i++) Assert.Equal(a2a[i] * sa[i / 70_003], prod[i]);
        var diff = Ops.Sub(s, a2).ToArray();
        for (int i = 0; i < a2a.Length; i++) Assert.Equal(sa[i / 70_003] - a2a[i], diff[i]);
    }

    [Fact]
    public void ParallelStridedCopyMatchesIndexing()
    {
        var x = Rand(5, 3, 70, 11, 64);
        var y = x.Permute(2, 0, 3, 1).Contiguous();   // [11, 3, 64, 70]
        var xa = x.ToArray(); var ya = y.ToArray();
        for (int i = 0; i < 11; i++) for (int b = 0; b < 3; b++) for (int d = 0; d < 64; d++) for (int t = 0; t < 70; t++)
            Assert.Equal(xa[((b * 70 + t) * 11 + i) * 64 + d], ya[((i * 3 + b) * 64 + d) * 70 + t]);
        var big = Rand(6, 1, 300).Expand(900, 300).Contiguous().ToArray(); // broadcast rows
        var row = Rand(6, 1, 300).ToArray();
        for (int i = 0; i < big.Length; i++) Assert.Equal(row[i % 300], big[i]);
    }
}
