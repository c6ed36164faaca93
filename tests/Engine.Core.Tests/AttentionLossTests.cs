using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class AttentionLossTests
{
    private static double[] RefAttention(float[] q, float[] k, float[] v, float[]? mask, bool causal, int bh, int tq, int tk, int d, double scale)
    {
        var o = new double[bh * tq * d];
        for (int z = 0; z < bh; z++) for (int i = 0; i < tq; i++)
        {
            var s = new double[tk];
            for (int j = 0; j < tk; j++)
            {
                double dot = 0;
                for (int e = 0; e < d; e++) dot += (double)q[(z * tq + i) * d + e] * k[(z * tk + j) * d + e];
                s[j] = dot * scale + (mask?[i * tk + j] ?? 0) + (causal && j > i ? double.NegativeInfinity : 0);
            }
            double max = s.Max(), sum = s.Sum(x => Math.Exp(x - max));
            for (int j = 0; j < tk; j++)
            {
                double p = Math.Exp(s[j] - max) / sum;
                for (int e = 0; e < d; e++) o[(z * tq + i) * d + e] += p * v[(z * tk + j) * d + e];
            }
        }
        return o;
    }

    [Fact]
    public void AttentionWithMaskAndCausalMatchesReference()
    {
        int b = 2, h = 2, t = 5, d = 4;
        var q = Rand(1, b, h, t, d); var k = Rand(2, b, h, t, d); var v = Rand(3, b, h, t, d);
        var mask = new float[t * t];
        for (int i = 0; i < t; i++) mask[i * t + 4] = float.MinValue; // key 4 is padding
        var mt = Tensor.FromArray(mask, 1, 1, t, t);
        Close(RefAttention(q.ToArray(), k.ToArray(), v.ToArray(), null, false, b * h, t, t, d, 0.5), Ops.ScaledDotProductAttention(q, k, v).ToArray(), 1e-5, 1e-5);
        Close(RefAttention(q.ToArray(), k.ToArray(), v.ToArray(), mask, true, b * h, t, t, d, 0.3), Ops.ScaledDotProductAttention(q, k, v, mt, causal: true, scale: 0.3f).ToArray(), 1e-5, 1e-5);
        GradCheck(x => Ops.ScaledDotProductAttention(x[0], x[1], x[2], mt, causal: true), new[] { q, k, v });
        var bm = new Tensor(CpuStorage.WrapBytes(mask.Select(m => m == 0 ? (byte)1 : (byte)0).ToArray(), DType.Bool), new[] { t, t });
        Close(D(Ops.ScaledDotProductAttention(q, k, v, mt).ToArray()), Ops.ScaledDotProductAttention(q, k, v, bm).ToArray(), 1e-6);
        Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(q, Rand(4, b, h, t, d + 1), v));
    }

    [Fact]
    public void BceWithLogitsIsStableAndDifferentiable()
    {
        var x = Tensor.FromArray(new float[] { -30f, -2f, -0.1f, 0f, 0.7f, 3f, 40f }, 7);
        var tg = Tensor.FromArray(new float[] { 0f, 1f, 0f, 1f, 0.3f, 1f, 0f }, 7);
        var xa = x.ToArray(); var ta = tg.ToArray();
        var per = xa.Select((v, i) => Math.Max(v, 0) - v * ta[i] + Math.Log(1 + Math.Exp(-Math.Abs(v)))).ToArray();
        Close(per, Ops.BceWithLogits(x, tg, Reduction.None).ToArray(), 1e-6, 1e-6);
        Close(new[] { per.Average() }, Ops.BceWithLogits(x, tg).ToArray(), 1e-6, 1e-6);
        Close(new[] { per.Sum() }, Ops.BceWithLogits(x, tg, Reduction.Sum).ToArray(), 1e-5, 1e-6);
        GradCheck(t => Ops.BceWithLogits(t[0], t[1]), new[] { Rand(1, 3, 4), Tensor.Uniform(new Random(2), 0, 1, 3, 4) });
        Assert.Throws<ArgumentException>(() => Ops.BceWithLogits(x, Rand(1, 6)));
    }

    [Fact]
    public void CrossEntropyWithIgnoreIndexAndSpatialTargets()
    {
        var logits = Rand(1, 3, 4);
        var tg = Tensor.FromArray(new long[] { 2, -100, 0 }, 3);
        var la = logits.ToArray();
        double Nll(int r, long c) { double m = la.Skip(r * 4).Take(4).Max(); double s = la.Skip(r * 4).Take(4).Sum(v => Math.Exp(v - m)); return -(la[r * 4 + c] - m - Math.Log(s)); }
        Close(new[] { (Nll(0, 2) + Nll(2, 0)) / 2 }, Ops.CrossEntropy(logits, tg).ToArray(), 1e-6, 1e-6);
        Close(new[] { Nll(0, 2), 0, Nll(2, 0) }, Ops.CrossEntropy(logits, tg, Reduction.None).ToArray(), 1e-6, 1e-6);
        GradCheck(t => Ops.CrossEntropy(t[0], tg), new[] { logits });
        // [N, C, H, W] with [N, H, W] targets equals the flattened [N*H*W, C] version
        var l4 = Rand(2, 2, 3, 2, 2);
        var t4 = Tensor.FromArray(new long[] { 0, 1, 2, 1, 2, 2, 0, 0 }, 2, 2, 2);
        var flat = l4.Permute(0, 2, 3, 1).Reshape(8, 3);
        Close(D(Ops.CrossEntropy(flat, t4.Reshape(8)).ToArray()), Ops.CrossEntropy(l4, t4).ToArray(), 1e-6);
        GradCheck(t => Ops.CrossEntropy(t[0], t4, Reduction.Sum), new[] { l4 });
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CrossEntropy(logits, Tensor.FromArray(new long[] { 4, 0, 0 }, 3)));
    }

    [Fact]
    public void SoftDiceLossMatchesFormula()
    {
        var x = Rand(1, 2, 3, 3); var t = Tensor.Uniform(new Random(5), 0, 1, 2, 3, 3);
        var xa = x.ToArray(); var ta = t.ToArray();
        double total = 0;
        for (int n = 0; n < 2; n++)
        {
            double inter = 0, sp = 0, st = 0;
            for (int i = 0; i < 9; i++) { double p = 1 / (1 + Math.Exp(-xa[n * 9 + i])); inter += p * ta[n * 9 + i]; sp += p; st += ta[n * 9 + i]; }
            total += 1 - (2 * inter + 1) / (sp + st + 1);
        }
        Close(new[] { total / 2 }, Ops.SoftDiceLoss(x, t).ToArray(), 1e-6, 1e-6);
        GradCheck(v => Ops.SoftDiceLoss(v[0], t), new[] { x });
    }
}
