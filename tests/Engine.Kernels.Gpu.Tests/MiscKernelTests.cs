using Engine.Kernels.Gpu;
using Xunit;

namespace Engine.Kernels.Gpu.Tests;

[Collection(SimulatorCollection.Name)]
public sealed class MiscKernelTests(SimulatorFixture fx)
{
    private readonly GpuDevice _dev = fx.Device;

    [Fact]
    public void EmbeddingGatherScatterAndBadId()
    {
        int V = 5, D = 3;
        var w = TestUtil.Random(V * D, 81); long[] ids = { 4, 0, 4, 2 };
        using var dw = _dev.Upload<float>(w); using var di = _dev.Upload<long>(ids); using var y = _dev.Rent<float>(ids.Length * D);
        Embedding.Forward(_dev, dw.View, V, D, di.View, ids.Length, y.View);
        var yh = _dev.Download(y.View);
        for (int t = 0; t < ids.Length; t++) for (int d = 0; d < D; d++) Assert.Equal(w[ids[t] * D + d], yh[t * D + d]);
        var g = TestUtil.Random(ids.Length * D, 82);
        using var dg = _dev.Upload<float>(g); using var gw = _dev.Rent<float>(V * D, clear: true);
        Embedding.Backward(_dev, dg.View, di.View, ids.Length, gw.View, V, D, paddingIdx: 2);
        var gwh = _dev.Download(gw.View);
        for (int d = 0; d < D; d++)
        {
            Assert.Equal(g[0 * D + d] + g[2 * D + d], gwh[4 * D + d], 1e-6f);
            Assert.Equal(g[1 * D + d], gwh[0 * D + d], 1e-6f);
            Assert.Equal(0f, gwh[2 * D + d]); // padding row gets no gradient
        }
        using var bad = _dev.Upload<long>(new long[] { 1, 7 });
        var e = Assert.Throws<ArgumentException>(() => Embedding.Forward(_dev, dw.View, V, D, bad.View, 2, y.View));
        Assert.Contains("7", e.Message);
    }

    [Fact]
    public void BceWithLogitsAndBackward()
    {
        var x = TestUtil.Random(50, 91, -30, 30); var t = TestUtil.Random(50, 92, 0, 1);
        using var dx = _dev.Upload<float>(x); using var dt = _dev.Upload<float>(t); using var loss = _dev.Rent<float>(50);
        using var sum = _dev.Rent<float>(1); using var idx = _dev.Rent<long>(1); using var gx = _dev.Rent<float>(50); using var one = _dev.Upload<float>(new[] { 1f });
        Loss.BceWithLogits(_dev, dx.View, dt.View, loss.View, 50);
        Reduce.All(_dev, ReduceOp.Mean, loss.View, 50, sum.View, idx.View);
        Loss.BceWithLogitsBackward(_dev, dx.View, dt.View, one.View, true, 1f / 50, gx.View, 50);
        double expected = x.Select((v, i) => Math.Max(v, 0) - v * t[i] + Math.Log(1 + Math.Exp(-Math.Abs(v)))).Average();
        Assert.Equal(expected, _dev.Download(sum.View)[0], 5);
        var eg = x.Select((v, i) => (float)((1 / (1 + Math.Exp(-v)) - t[i]) / 50)).ToArray();
        TestUtil.Close(eg, _dev.Download(gx.View), 1e-7f, 1e-5f, "bce grad");
    }

    [Fact]
    public void SoftDiceMatchesFiniteDifferences()
    {
        int N = 2, S = 30; float smooth = 1f;
        var x = TestUtil.Random(N * S, 101, -3, 3); var t = TestUtil.Random(N * S, 102, 0, 1).Select(v => v > 0.5f ? 1f : 0f).ToArray();
        double Ref(double[] xx)
        {
            double acc = 0;
            for (int n = 0; n < N; n++)
            {
                double I = 0, P = 0, T = 0;
                for (int j = 0; j < S; j++) { double p = 1 / (1 + Math.Exp(-xx[n * S + j])); I += p * t[n * S + j]; P += p; T += t[n * S + j]; }
                acc += 1 - (2 * I + smooth) / (P + T + smooth);
            }
            return acc / N;
        }
        using var dx = _dev.Upload<float>(x); using var dt = _dev.Upload<float>(t); using var stats = _dev.Rent<float>(3 * N); using var loss = _dev.Rent<float>(1);
        using var g = _dev.Upload<float>(new[] { 2f }); using var gx = _dev.Rent<float>(N * S);
        Loss.SoftDice(_dev, dx.View, dt.View, N, S, smooth, stats.View, loss.View);
        Loss.SoftDiceBackward(_dev, dx.View, dt.View, stats.View, g.View, gx.View, N, S, smooth);
        var X = x.Select(v => (double)v).ToArray();
        Assert.Equal(Ref(X), _dev.Download(loss.View)[0], 5);
        var fd = X.Select((_, i) => { var a = (double[])X.Clone(); a[i] += 1e-6; var b = (double[])X.Clone(); b[i] -= 1e-6; return (float)(2 * (Ref(a) - Ref(b)) / 2e-6); }).ToArray();
        TestUtil.Close(fd, _dev.Download(gx.View), 1e-5f, 1e-3f, "dice grad");
    }

    [Fact]
    public void AdamWMatchesPyTorchFormula()
    {
        int n = 40; float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.05f;
        var p = TestUtil.Random(n, 111); var m = TestUtil.Random(n, 112, 0, 0.1f); var v = TestUtil.Random(n, 113, 0, 0.01f); var g = TestUtil.Random(n, 114);
        using var dp = _dev.Upload<float>(p); using var dm = _dev.Upload<float>(m); using var dv = _dev.Upload<float>(v); using var dg = _dev.Upload<float>(g);
        AdamW.Step(_dev, dp.View, dg.View, dm.View, dv.View, n, lr, b1, b2, eps, wd, step: 3);
        var ph = _dev.Download(dp.View);
        for (int i = 0; i < n; i++)
        {
            double w = p[i] * (1 - lr * wd), mi = b1 * m[i] + (1 - b1) * g[i], vi = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double bc1 = 1 - Math.Pow(b1, 3), bc2 = 1 - Math.Pow(b2, 3);
            double expected = w - lr / bc1 * mi / (Math.Sqrt(vi) / Math.Sqrt(bc2) + eps);
            Assert.Equal(expected, ph[i], 5);
        }
    }
}
