using Engine.Kernels.Gpu;
using Xunit;

namespace Engine.Kernels.Gpu.Tests;

[Collection(SimulatorCollection.Name)]
public sealed class ReduceSoftmaxNormTests(SimulatorFixture fx)
{
    private readonly GpuDevice _dev = fx.Device;

    [Theory]
    [InlineData(2)] // last axis: group-per-row kernel
    [InlineData(1)] // middle axis: strided kernel
    [InlineData(-1)] // long middle axis, few outputs: sum/mean split into chunks plus a second pass
    public void ReductionsAndBackward(int axis)
    {
        int[] shape = axis switch { 2 => new[] { 2, 3, 37 }, -1 => new[] { 2, 200, 3 }, _ => new[] { 2, 37, 5 } };
        if (axis == -1) { axis = 1; Assert.True(Reduce.ChunksFor(6, 200) > 1, "the split path is not taken"); }
        var s = AxisShape.Of(shape, axis);
        var x = TestUtil.Random((int)s.Count, 31); var g = TestUtil.Random(s.Outer * s.Inner, 32);
        using var dx = _dev.Upload<float>(x); using var dy = _dev.Rent<float>(s.Outer * s.Inner); using var di = _dev.Rent<long>(s.Outer * s.Inner);
        using var dg = _dev.Upload<float>(g); using var dgx = _dev.Rent<float>(s.Count);
        foreach (var op in Enum.GetValues<ReduceOp>())
        {
            Reduce.Axis(_dev, op, dx.View, s, dy.View, di.View);
            Reduce.AxisBackward(_dev, op, dg.View, di.View, s, dgx.View);
            var y = _dev.Download(dy.View); var gx = _dev.Download(dgx.View);
            var ey = new float[y.Length]; var egx = new float[x.Length];
            for (int o = 0; o < s.Outer; o++)
                for (int i = 0; i < s.Inner; i++)
                {
                    double acc = 0; float best = float.NegativeInfinity; int bi = 0;
                    for (int j = 0; j < s.N; j++) { float v = x[(o * s.N + j) * s.Inner + i]; acc += v; if (v > best) { best = v; bi = j; } }
                    int t = o * s.Inner + i;
                    ey[t] = op switch { ReduceOp.Sum => (float)acc, ReduceOp.Mean => (float)(acc / s.N), _ => best };
                    for (int j = 0; j < s.N; j++)
                        egx[(o * s.N + j) * s.Inner + i] = op switch { ReduceOp.Sum => g[t], ReduceOp.Mean => g[t] / s.N, _ => j == bi ? g[t] : 0 };
                    if (op == ReduceOp.Max) Assert.Equal(bi, _dev.Download(di.View)[t]);
                }
            TestUtil.Close(ey, y, 1e-5f, 1e-5f, $"{op}");
            TestUtil.Close(egx, gx, 1e-6f, 1e-6f, $"{op} backward");
        }
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 2)]
    public void SoftmaxForwardBackward(bool log, int axis)
    {
        int[] shape = { 2, 3, 40 };
        var s = AxisShape.Of(shape, axis);
        var x = TestUtil.Random((int)s.Count, 41, -5, 5); var g = TestUtil.Random((int)s.Count, 42);
        using var dx = _dev.Upload<float>(x); using var dy = _dev.Rent<float>(s.Count); using var dg = _dev.Upload<float>(g); using var dgx = _dev.Rent<float>(s.Count);
        Softmax.Forward(_dev, dx.View, dy.View, s, log);
        Softmax.Backward(_dev, dy.View, dg.View, dgx.View, s, log);
        var y = _dev.Download(dy.View); var gx = _dev.Download(dgx.View);
        var ey = new float[x.Length]; var egx = new float[x.Length];
        for (int o = 0; o < s.Outer; o++)
            for (int i = 0; i < s.Inner; i++)
            {
                int E(int j) => (o * s.N + j) * s.Inner + i;
                double m = Enumerable.Range(0, s.N).Max(j => x[E(j)]);
                double z = Enumerable.Range(0, s.N).Sum(j => Math.Exp(x[E(j)] - m));
                var p = Enumerable.Range(0, s.N).Select(j => Math.Exp(x[E(j)] - m) / z).ToArray();
                double dot = log ? Enumerable.Range(0, s.N).Sum(j => (double)g[E(j)]) : Enumerable.Range(0, s.N).Sum(j => g[E(j)] * p[j]);
                for (int j = 0; j < s.N; j++)
                {
                    ey[E(j)] = (float)(log ? x[E(j)] - m - Math.Log(z) : p[j]);
                    egx[E(j)] = (float)(log ? g[E(j)] - p[j] * dot : p[j] * (g[E(j)] - dot));
                }
            }
        TestUtil.Close(ey, y, 2e-6f, 1e-5f, "softmax");
        TestUtil.Close(egx, gx, 2e-6f, 1e-5f, "softmax backward");
    }

    [Fact]
    public void LayerNormMatchesFiniteDifferences()
    {
        int rows = 3, n = 50; float eps = 1e-5f;
        var x = TestUtil.Random(rows * n, 51, -2, 2); var w = TestUtil.Random(n, 52); var b = TestUtil.Random(n, 53); var g = TestUtil.Random(rows * n, 54);
        using var dx = _dev.Upload<float>(x); using var dw = _dev.Upload<float>(w); using var db = _dev.Upload<float>(b); using var dg = _dev.Upload<float>(g);
        using var dy = _dev.Rent<float>(rows * n); using var mean = _dev.Rent<float>(rows); using var rstd = _dev.Rent<float>(rows);
        using var gx = _dev.Rent<float>(rows * n); using var gw = _dev.Rent<float>(n); using var gb = _dev.Rent<float>(n);
        LayerNorm.Forward(_dev, dx.View, dw.View, db.View, dy.View, mean.View, rstd.View, rows, n, eps);
        LayerNorm.Backward(_dev, dx.View, dw.View, dg.View, mean.View, rstd.View, gx.View, gw.View, gb.View, rows, n);
        double[] Fwd(double[] xx, double[] ww, double[] bb)
        {
            var y = new double[rows * n];
            for (int r = 0; r < rows; r++)
            {
                double mu = 0, v = 0;
                for (int j = 0; j < n; j++) mu += xx[r * n + j];
                mu /= n;
                for (int j = 0; j < n; j++) v += (xx[r * n + j] - mu) * (xx[r * n + j] - mu);
                double rs = 1 / Math.Sqrt(v / n + eps);
                for (int j = 0; j < n; j++) y[r * n + j] = (xx[r * n + j] - mu) * rs * ww[j] + bb[j];
            }
            return y;
        }
        var X = x.Select(v => (double)v).ToArray(); var W = w.Select(v => (double)v).ToArray(); var B = b.Select(v => (double)v).ToArray();
        TestUtil.Close(Fwd(X, W, B).Select(v => (float)v).ToArray(), _dev.Download(dy.View), 1e-5f, 1e-5f, "layernorm");
        double Loss(double[] xx, double[] ww, double[] bb) => Fwd(xx, ww, bb).Select((v, i) => v * g[i]).Sum();
        float[] Fd(double[] arr) => arr.Select((_, i) => { var p = (double[])arr.Clone(); p[i] += 1e-6; var m = (double[])arr.Clone(); m[i] -= 1e-6; return (float)((Loss(Same(p, X), Same(p, W), Same(p, B)) - Loss(Same(m, X), Same(m, W), Same(m, B))) / 2e-6); }).ToArray();
        double[] Same(double[] candidate, double[] original) => candidate.Length == original.Length && ReferenceEquals(original, _which) ? candidate : original;
        _which = X; TestUtil.Close(Fd(X), _dev.Download(gx.View), 1e-4f, 1e-3f, "layernorm grad x");
        _which = W; TestUtil.Close(Fd(W), _dev.Download(gw.View), 1e-4f, 1e-3f, "layernorm grad w");
        _which = B; TestUtil.Close(Fd(B), _dev.Download(gb.View), 1e-4f, 1e-3f, "layernorm grad b");
    }
    private double[]? _which;

    [Fact]
    public void LayerNormParameterGradientsOfManyRowsAreSplitAndSummedInOrder()
    {
        int rows = 200, n = 3; // few features, many rows: the partial-sum path
        Assert.True(Reduce.ChunksFor(n, rows) > 1, "the split path is not taken");
        var x = TestUtil.Random(rows * n, 61, -2, 2); var w = TestUtil.Random(n, 62); var g = TestUtil.Random(rows * n, 63);
        using var dx = _dev.Upload<float>(x); using var dw = _dev.Upload<float>(w); using var dg = _dev.Upload<float>(g);
        using var dy = _dev.Rent<float>(rows * n); using var mean = _dev.Rent<float>(rows); using var rstd = _dev.Rent<float>(rows);
        using var gx = _dev.Rent<float>(rows * n); using var gw = _dev.Rent<float>(n); using var gb = _dev.Rent<float>(n);
        LayerNorm.Forward(_dev, dx.View, dw.View, default, dy.View, mean.View, rstd.View, rows, n, 1e-5f);
        LayerNorm.Backward(_dev, dx.View, dw.View, dg.View, mean.View, rstd.View, gx.View, gw.View, gb.View, rows, n);
        var mu = _dev.Download(mean.View); var rs = _dev.Download(rstd.View);
        var ew = new double[n]; var eb = new double[n];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++) { ew[j] += g[r * n + j] * (x[r * n + j] - mu[r]) * rs[r]; eb[j] += g[r * n + j]; }
        TestUtil.Close(ew.Select(v => (float)v).ToArray(), _dev.Download(gw.View), 1e-5f, 1e-5f, "grad weight");
        TestUtil.Close(eb.Select(v => (float)v).ToArray(), _dev.Download(gb.View), 1e-5f, 1e-5f, "grad bias");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNormTrainAndEval(bool training)
    {
        int n = 2, c = 3, s = 10; float eps = 1e-5f, mom = 0.1f;
        var x = TestUtil.Random(n * c * s, 61, -2, 3); var w = TestUtil.Random(c, 62); var b = TestUtil.Random(c, 63); var g = TestUtil.Random(n * c * s, 64);
        var rm = TestUtil.Random(c, 65); var rv = TestUtil.Random(c, 66, 0.5f, 2f);
        using var dx = _dev.Upload<float>(x); using var dw = _dev.Upload<float>(w); using var db = _dev.Upload<float>(b); using var dg = _dev.Upload<float>(g);
        using var drm = _dev.Upload<float>(rm); using var drv = _dev.Upload<float>(rv);
        using var dy = _dev.Rent<float>(x.Length); using var mean = _dev.Rent<float>(c); using var inv = _dev.Rent<float>(c);
        using var gx = _dev.Rent<float>(x.Length); using var gw = _dev.Rent<float>(c); using var gb = _dev.Rent<float>(c);
        BatchNorm.Forward(_dev, dx.View, drm.View, drv.View, dw.View, db.View, dy.View, mean.View, inv.View, n, c, s, training, mom, eps);
        BatchNorm.Backward(_dev, dx.View, dw.View, dg.View, mean.View, inv.View, gx.View, gw.View, gb.View, n, c, s, training);
        var y = _dev.Download(dy.View); var gxH = _dev.Download(gx.View); var gwH = _dev.Download(gw.View); var gbH = _dev.Download(gb.View);
        var nrm = _dev.Download(drm.View); var nrv = _dev.Download(drv.View);
        int M = n * s;
        for (int ch = 0; ch < c; ch++)
        {
            var idx = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, s).Select(k => (i * c + ch) * s + k)).ToArray();
            double mu = idx.Average(i => (double)x[i]); double var = idx.Average(i => (x[i] - mu) * (x[i] - mu));
            double useMu = training ? mu : rm[ch], useVar = training ? var : rv[ch];
            double rs = 1 / Math.Sqrt(useVar + eps);
            double sg = idx.Sum(i => (double)g[i]), sgx = idx.Sum(i => g[i] * (x[i] - useMu) * rs);
            foreach (var i in idx)
            {
                double xhat = (x[i] - useMu) * rs;
                Assert.InRange(y[i], xhat * w[ch] + b[ch] - 1e-5, xhat * w[ch] + b[ch] + 1e-5);
                double egx = training ? w[ch] * rs * (g[i] - sg / M - xhat * sgx / M) : g[i] * w[ch] * rs;
                Assert.InRange(gxH[i], egx - 1e-4, egx + 1e-4);
            }
            Assert.InRange(gwH[ch], sgx - 1e-4, sgx + 1e-4);
            Assert.InRange(gbH[ch], sg - 1e-4, sg + 1e-4);
            double erm = training ? 0.9 * rm[ch] + 0.1 * mu : rm[ch], erv = training ? 0.9 * rv[ch] + 0.1 * var * M / (M - 1) : rv[ch];
            Assert.InRange(nrm[ch], erm - 1e-6, erm + 1e-6);
            Assert.InRange(nrv[ch], erv - 1e-5, erv + 1e-5);
        }
    }
}
