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
        Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(q, k, v, Tensor.Zeros(3, t, t)));
    }

    [Fact]
    public void FusedAndCompositeAttentionAgreeIncludingGradients()
    {
        // rank 4 runs the fused kernel; the same data as rank 5 runs the composite path
        int b = 2, h = 3, tq = 7, tk = 9, d = 8;
        var pad = new float[b * tk];
        for (int j = 6; j < tk; j++) pad[1 * tk + j] = float.NegativeInfinity; // batch 1: keys 6.. are padding
        var mask = Tensor.FromArray(pad, b, 1, 1, tk);
        foreach (var causal in new[] { false, true })
        {
            var q = RandGrad(1, b, h, tq, d); var k = RandGrad(2, b, h, tk, d); var v = RandGrad(3, b, h, tk, d);
            var q5 = q.Detach().Unsqueeze(0); q5.RequiresGrad = true;
            var k5 = k.Detach().Unsqueeze(0); k5.RequiresGrad = true;
            var v5 = v.Detach().Unsqueeze(0); v5.RequiresGrad = true;
            var yf = Ops.ScaledDotProductAttention(q, k, v, mask, causal);
            var yc = Ops.ScaledDotProductAttention(q5, k5, v5, mask, causal);
            Close(D(yc.ToArray()), yf.ToArray(), 2e-6, 1e-5);
            var w = Rand(9, b, h, tq, d);
            Ops.Sum(Ops.Mul(yf, w)).Backward();
            Ops.Sum(Ops.Mul(yc, w.Unsqueeze(0))).Backward();
            Close(D(q5.Grad!.ToArray()), q.Grad!.ToArray(), 2e-5, 1e-4, "dq");
            Close(D(k5.Grad!.ToArray()), k.Grad!.ToArray(), 2e-5, 1e-4, "dk");
            Close(D(v5.Grad!.ToArray()), v.Grad!.ToArray(), 2e-5, 1e-4, "dv");
        }
        // rank 3 ([BH, T, D]) with a [BH, Tq, Tk] mask also fuses
        var q3 = Rand(4, 3, 5, 4); var k3 = Rand(5, 3, 6, 4); var v3 = Rand(6, 3, 6, 4); var m3 = Rand(7, 3, 5, 6);
        Close(RefAttention(q3.ToArray(), k3.ToArray(), v3.ToArray(), null, false, 3, 5, 6, 4, 0.5), Ops.ScaledDotProductAttention(q3, k3, v3).ToArray(), 1e-5, 1e-5);
        var full = Ops.ScaledDotProductAttention(q3.Unsqueeze(0), k3.Unsqueeze(0), v3.Unsqueeze(0), m3.Unsqueeze(0));
        Close(D(full.ToArray()), Ops.ScaledDotProductAttention(q3, k3, v3, m3).ToArray(), 2e-6, 1e-5);
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
