using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class NormTests
{
    [Fact]
    public void SoftmaxAndLogSoftmaxOnAnyAxis()
    {
        var x = Rand(1, 2, 3, 4);
        var xa = x.ToArray();
        for (int axis = 0; axis < 3; axis++)
        {
            var y = Ops.Softmax(x, axis).ToArray();
            var ly = Ops.LogSoftmax(x, axis).ToArray();
            int[] shape = { 2, 3, 4 }; int[] st = { 12, 4, 1 };
            for (int flat = 0; flat < 24; flat++)
            {
                int pos = flat / st[axis] % shape[axis];
                int start = flat - pos * st[axis];
                double max = double.NegativeInfinity, sum = 0;
                for (int j = 0; j < shape[axis]; j++) max = Math.Max(max, xa[start + j * st[axis]]);
                for (int j = 0; j < shape[axis]; j++) sum += Math.Exp(xa[start + j * st[axis]] - max);
                Assert.True(Math.Abs(Math.Exp(xa[flat] - max) / sum - y[flat]) < 1e-6);
                Assert.True(Math.Abs(xa[flat] - max - Math.Log(sum) - ly[flat]) < 2e-6);
            }
            GradCheck(t => Ops.Softmax(t[0], axis), new[] { Rand(2, 2, 3, 4) });
            GradCheck(t => Ops.LogSoftmax(t[0], axis), new[] { Rand(3, 2, 3, 4) });
        }
        // -inf entries get probability 0
        var m = Ops.Softmax(Tensor.FromArray(new[] { 1f, float.NegativeInfinity, 1f }, 3), 0).ToArray();
        Assert.Equal(new[] { 0.5f, 0f, 0.5f }, m);
    }

    /// <summary>Rows as wide as a ViT's (vector passes plus a ragged tail), with and without weight and bias, against
    /// a double-precision reference; values offset from zero so the two-pass variance matters.</summary>
    [Theory]
    [InlineData(768, true, true)]
    [InlineData(773, true, false)]
    [InlineData(35, false, true)]
    [InlineData(19, false, false)]
    public void LayerNormRowsOfModelWidthMatchReference(int n, bool withWeight, bool withBias)
    {
        const int rows = 5;
        var x = Ops.Add(Rand(7, rows, n), 3f); var w = withWeight ? Rand(8, n) : null; var b = withBias ? Rand(9, n) : null;
        var y = Ops.LayerNorm(x, w, b, 1e-5f).ToArray();
        var xa = x.ToArray(); var wa = w?.ToArray(); var ba = b?.ToArray();
        var exp = new double[xa.Length];
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, v = 0;
            for (int i = 0; i < n; i++) mu += xa[r * n + i];
            mu /= n;
            for (int i = 0; i < n; i++) v += (xa[r * n + i] - mu) * (xa[r * n + i] - mu);
            v /= n;
            for (int i = 0; i < n; i++)
                exp[r * n + i] = (xa[r * n + i] - mu) / Math.Sqrt(v + 1e-5) * (wa?[i] ?? 1.0) + (ba?[i] ?? 0.0);
        }
        Close(exp, y, 2e-5, 1e-5);
    }

    [Fact]
    public void LayerNormMatchesReferenceAndGradients()
    {
        var x = Rand(1, 3, 2, 8); var w = Rand(2, 8); var b = Rand(3, 8);
        var y = Ops.LayerNorm(x, w, b, 1e-5f).ToArray();
        var xa = x.ToArray(); var wa = w.ToArray(); var ba = b.ToArray();
        var exp = new double[xa.Length];
        for (int r = 0; r < 6; r++)
        {
            double mu = 0, v = 0;
            for (int i = 0; i < 8; i++) mu += xa[r * 8 + i];
            mu /= 8;
            for (int i = 0; i < 8; i++) v += (xa[r * 8 + i] - mu) * (xa[r * 8 + i] - mu);
            v /= 8;
            for (int i = 0; i < 8; i++) exp[r * 8 + i] = (xa[r * 8 + i] - mu) / Math.Sqrt(v + 1e-5) * wa[i] + ba[i];
        }
        Close(exp, y, 2e-5, 1e-5);
        GradCheck(t => Ops.LayerNorm(t[0], t[1], t[2], 1e-5f), new[] { x, w, b });
        GradCheck(t => Ops.LayerNorm(t[0], null, null, 1e-5f), new[] { Rand(4, 3, 5) });
        Assert.Throws<ArgumentException>(() => Ops.LayerNorm(x, Rand(1, 7), null, 1e-5f));
    }

    [Fact]
    public void BatchNormTrainUpdatesRunningStatsAndEvalUsesThem()
    {
        var x = Rand(1, 3, 2, 2, 3); // N=3, C=2, 2x3
        var rm = Tensor.FromArray(new float[] { 0.5f, -1f }, 2); var rv = Tensor.FromArray(new float[] { 2f, 0.5f }, 2);
        var w = Tensor.FromArray(new float[] { 1.5f, -0.5f }, 2); var b = Tensor.FromArray(new float[] { 0.1f, 0.2f }, 2);
        var y = Ops.BatchNorm(x, rm, rv, w, b, training: true, momentum: 0.1f, eps: 1e-5f).ToArray();
        var xa = x.ToArray();
        for (int c = 0; c < 2; c++)
        {
            var vals = new List<double>(); var pos = new List<int>();
            for (int n = 0; n < 3; n++) for (int s = 0; s < 6; s++) { int f = n * 12 + c * 6 + s; vals.Add(xa[f]); pos.Add(f); }
            double mu = vals.Average(), v = vals.Sum(t => (t - mu) * (t - mu)) / vals.Count;
            for (int i = 0; i < vals.Count; i++)
                Assert.Equal((vals[i] - mu) / Math.Sqrt(v + 1e-5) * w.ToArray()[c] + b.ToArray()[c], y[pos[i]], 5);
            double unbiased = v * vals.Count / (vals.Count - 1);
            Assert.Equal(0.9 * new[] { 0.5, -1 }[c] + 0.1 * mu, rm.ToArray()[c], 6);
            Assert.Equal(0.9 * new[] { 2, 0.5 }[c] + 0.1 * unbiased, rv.ToArray()[c], 6);
        }
        var ye = Ops.BatchNorm(x, rm, rv, w, b, training: false, momentum: 0.1f, eps: 1e-5f).ToArray();
        var rma = rm.ToArray(); var rva = rv.ToArray();
        for (int f = 0; f < xa.Length; f++)
        {
            int c = f / 6 % 2;
            Assert.Equal((xa[f] - rma[c]) / Math.Sqrt(rva[c] + 1e-5) * w.ToArray()[c] + b.ToArray()[c], ye[f], 5);
        }
        GradCheck(t => Ops.BatchNorm(t[0], null, null, t[1], t[2], true, 0.1f, 1e-5f), new[] { Rand(2, 3, 2, 2, 3), Rand(3, 2), Rand(4, 2) });
        GradCheck(t => Ops.BatchNorm(t[0], rm, rv, t[1], t[2], false, 0.1f, 1e-5f), new[] { Rand(5, 2, 2, 3), Rand(6, 2), Rand(7, 2) });
    }

    [Fact]
    public void L2NormalizeUnitNormAndGradient()
    {
        var x = Rand(1, 3, 4);
        var y = Ops.L2Normalize(x, -1).ToArray();
        for (int r = 0; r < 3; r++) Assert.Equal(1.0, Enumerable.Range(0, 4).Sum(i => (double)y[r * 4 + i] * y[r * 4 + i]), 5);
        Assert.Equal(new float[] { 0, 0 }, Ops.L2Normalize(Tensor.Zeros(1, 2), 1).ToArray());
        GradCheck(t => Ops.L2Normalize(t[0], 0), new[] { Rand(2, 3, 4) });
    }
}
