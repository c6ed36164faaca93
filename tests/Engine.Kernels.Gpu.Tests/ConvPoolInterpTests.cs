using Engine.Kernels.Gpu;
using Xunit;

namespace Engine.Kernels.Gpu.Tests;

[Collection(SimulatorCollection.Name)]
public sealed class ConvPoolInterpTests(SimulatorFixture fx)
{
    private readonly GpuDevice _dev = fx.Device;

    private static double Dot(float[] a, float[] b) => a.Select((v, i) => (double)v * b[i]).Sum();

    private static float[] NaiveConv(ConvGeometry g, int n, float[] x, float[] w, float[]? bias)
    {
        var y = new float[n * g.OC * g.OH * g.OW];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < g.OC; oc++)
            {
                int grp = oc / g.OCg;
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        double acc = bias?[oc] ?? 0;
                        for (int ci = 0; ci < g.Cg; ci++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = oh * g.SH - g.PH + kh * g.DH, iw = ow * g.SW - g.PW + kw * g.DW;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    acc += x[((b * g.C + grp * g.Cg + ci) * g.H + ih) * g.W + iw] * w[((oc * g.Cg + ci) * g.KH + kh) * g.KW + kw];
                                }
                        y[((b * g.OC + oc) * g.OH + oh) * g.OW + ow] = (float)acc;
                    }
            }
        return y;
    }

    [Fact]
    public void Conv2dForwardMatchesNaiveAndBackwardIsItsAdjoint()
    {
        int n = 2;
        var g = ConvGeometry.ForConv2d(4, 7, 6, 6, 3, 2, (2, 1), (1, 1), (1, 2), groups: 2);
        var x = TestUtil.Random(n * g.C * g.H * g.W, 121); var w = TestUtil.Random(g.OC * g.Cg * g.KH * g.KW, 122); var b = TestUtil.Random(g.OC, 123);
        var gy = TestUtil.Random(n * g.OC * g.OH * g.OW, 124);
        using var dx = _dev.Upload<float>(x); using var dw = _dev.Upload<float>(w); using var db = _dev.Upload<float>(b); using var dgy = _dev.Upload<float>(gy);
        using var y = _dev.Rent<float>(gy.Length); using var gx = _dev.Rent<float>(x.Length); using var gw = _dev.Rent<float>(w.Length); using var gb = _dev.Rent<float>(g.OC);
        Conv.Conv2d(_dev, g, n, dx.View, dw.View, db.View, y.View);
        Conv.Conv2dBackwardData(_dev, g, n, dgy.View, dw.View, gx.View);
        Conv.Conv2dBackwardWeight(_dev, g, n, dx.View, dgy.View, gw.View);
        Conv.BiasBackward(_dev, dgy.View, n, g.OC, g.OH * g.OW, gb.View);
        TestUtil.Close(NaiveConv(g, n, x, w, b), _dev.Download(y.View), 1e-5f, 1e-5f, "conv2d");
        // Adjoint checks: <conv(x), gy> = <x, gx> = <w, gw> (conv is linear in x and in w, without bias).
        double lhs = Dot(NaiveConv(g, n, x, w, null), gy);
        Assert.Equal(lhs, Dot(x, _dev.Download(gx.View)), 3);
        Assert.Equal(lhs, Dot(w, _dev.Download(gw.View)), 3);
        var egb = new float[g.OC];
        for (int i = 0; i < gy.Length; i++) egb[(i / (g.OH * g.OW)) % g.OC] += gy[i];
        TestUtil.Close(egb, _dev.Download(gb.View), 1e-5f, 1e-5f, "bias grad");
    }

    [Fact]
    public void ConvTranspose2dMatchesNaiveScatterAndGradientsAreAdjoints()
    {
        int n = 1, cin = 4, cout = 2, h = 3, w = 4, kh = 3, kw = 3, groups = 2;
        (int, int) s = (2, 2), p = (1, 0), op = (1, 1), d = (1, 1);
        var g = Conv.ForConvTranspose2d(cin, h, w, cout, kh, kw, s, p, op, d, groups);
        var x = TestUtil.Random(n * cin * h * w, 131); var wt = TestUtil.Random(cin * (cout / groups) * kh * kw, 132); var b = TestUtil.Random(cout, 133);
        int OH = g.H, OW = g.W;
        var expected = new double[n * cout * OH * OW];
        for (int i = 0; i < expected.Length; i++) expected[i] = b[(i / (OH * OW)) % cout];
        int cinG = cin / groups, coutG = cout / groups;
        for (int ci = 0; ci < cin; ci++)
            for (int ih = 0; ih < h; ih++)
                for (int iw = 0; iw < w; iw++)
                    for (int oc = 0; oc < coutG; oc++)
                        for (int a = 0; a < kh; a++)
                            for (int c = 0; c < kw; c++)
                            {
                                int oh = ih * 2 - 1 + a, ow = iw * 2 - 0 + c;
                                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                                int co = (ci / cinG) * coutG + oc;
                                expected[(co * OH + oh) * OW + ow] += x[(ci * h + ih) * w + iw] * wt[((ci * coutG + oc) * kh + a) * kw + c];
                            }
        var gy = TestUtil.Random(expected.Length, 134);
        using var dx = _dev.Upload<float>(x); using var dw = _dev.Upload<float>(wt); using var db = _dev.Upload<float>(b); using var dgy = _dev.Upload<float>(gy);
        using var y = _dev.Rent<float>(expected.Length); using var gx = _dev.Rent<float>(x.Length); using var gw = _dev.Rent<float>(wt.Length);
        Conv.ConvTranspose2d(_dev, g, n, dx.View, dw.View, db.View, y.View);
        Conv.ConvTranspose2dBackwardData(_dev, g, n, dgy.View, dw.View, gx.View);
        Conv.ConvTranspose2dBackwardWeight(_dev, g, n, dx.View, dgy.View, gw.View);
        TestUtil.Close(expected.Select(v => (float)v).ToArray(), _dev.Download(y.View), 1e-5f, 1e-5f, "conv_transpose2d");
        double lhs = expected.Select((v, i) => (v - b[(i / (OH * OW)) % cout]) * gy[i]).Sum();
        Assert.Equal(lhs, Dot(x, _dev.Download(gx.View)), 3);
        Assert.Equal(lhs, Dot(wt, _dev.Download(gw.View)), 3);
    }

    [Fact]
    public void PoolingForwardAndBackward()
    {
        float[] x = { 1, 5, 2, 0, 3, 4, 9, 8, 7, 6, 2, 1, 0, -1, 3, 2 }; // 1 plane 4x4
        using var dx = _dev.Upload<float>(x); using var y = _dev.Rent<float>(16); using var arg = _dev.Rent<int>(16); using var gx = _dev.Rent<float>(16);
        var g = PoolGeometry.Create(1, 4, 4, (2, 2), (2, 2), (0, 0), ceilMode: false);
        Pool.MaxForward(_dev, g, dx.View, y.View, arg.View);
        Assert.Equal(new float[] { 5, 9, 7, 3 }, _dev.Download(y.View).Take(4).ToArray());
        using var gy = _dev.Upload<float>(new float[] { 1, 2, 3, 4 });
        Pool.MaxBackward(_dev, g, gy.View, arg.View, gx.View);
        var gxh = _dev.Download(gx.View);
        Assert.Equal(1f, gxh[1]); Assert.Equal(2f, gxh[6]); Assert.Equal(3f, gxh[8]); Assert.Equal(4f, gxh[14]); Assert.Equal(10f, gxh.Sum());

        // avg 3x3 stride 2 pad 1, ceil mode, both count_include_pad settings; backward is the adjoint.
        foreach (var include in new[] { true, false })
        {
            var ga = PoolGeometry.Create(1, 4, 4, (3, 3), (2, 2), (1, 1), ceilMode: true, countIncludePad: include);
            Assert.Equal(3, ga.OH); // ceil((4 + 2 - 3) / 2) + 1 = 3, last window starts at 3 < 4 + 1
            Pool.AvgForward(_dev, ga, dx.View, y.View);
            var yh = _dev.Download(y.View).Take(9).ToArray();
            float sum00 = 1 + 5 + 3 + 4;
            Assert.Equal(include ? sum00 / 9 : sum00 / 4, yh[0], 5);
            // Last window (rows 3..5 clipped to 3, cols 3..5 -> 3): pool size counts rows 3..4 (H + pad) -> 2 x 2.
            Assert.Equal(include ? 2f / 4 : 2f, yh[8], 5);
            var r = TestUtil.Random(9, 141);
            using var dr = _dev.Upload<float>(r);
            Pool.AvgBackward(_dev, ga, dr.View, gx.View);
            Assert.Equal(Dot(yh, r), Dot(x, _dev.Download(gx.View)), 4);
        }

        var gad = Pool.Adaptive(1, 4, 4, 3, 2);
        Pool.AdaptiveAvgForward(_dev, gad, dx.View, y.View);
        var ya = _dev.Download(y.View).Take(6).ToArray();
        Assert.Equal((1 + 5 + 3 + 4) / 4f, ya[0], 5); // rows [0,2) cols [0,2)
        Assert.Equal((9 + 8 + 2 + 1) / 4f, ya[3], 5); // output (1, 1): rows [4/3, ceil(8/3)) = [1, 3), cols [2, 4)
        var ra = TestUtil.Random(6, 142);
        using var dra = _dev.Upload<float>(ra);
        Pool.AdaptiveAvgBackward(_dev, gad, dra.View, gx.View);
        Assert.Equal(Dot(ya, ra), Dot(x, _dev.Download(gx.View)), 4);
    }

    [Theory]
    [InlineData(InterpMode.Bilinear, false, 4, 4, new float[] { 1f, 1.25f, 1.75f, 2f, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3f, 3.25f, 3.75f, 4f })]
    [InlineData(InterpMode.Bilinear, true, 3, 3, new float[] { 1f, 1.5f, 2f, 2f, 2.5f, 3f, 3f, 3.5f, 4f })]
    [InlineData(InterpMode.Nearest, false, 3, 3, new float[] { 1f, 1f, 2f, 1f, 1f, 2f, 3f, 3f, 4f })]
    [InlineData(InterpMode.Bicubic, false, 4, 4, new float[] { 0.68359375f, 1.015625f, 1.5625f, 1.89453125f, 1.34765625f, 1.6796875f, 2.2265625f, 2.55859375f,
                                                              2.44140625f, 2.7734375f, 3.3203125f, 3.65234375f, 3.10546875f, 3.4375f, 3.984375f, 4.31640625f })]
    public void InterpolateMatchesPyTorchValuesAndBackwardIsAdjoint(InterpMode mode, bool alignCorners, int oh, int ow, float[] expected)
    {
        float[] x = { 1, 2, 3, 4 };
        var p = Interpolate.Create(1, 2, 2, oh, ow, mode, alignCorners);
        using var dx = _dev.Upload<float>(x); using var y = _dev.Rent<float>(oh * ow); using var gx = _dev.Rent<float>(4);
        Interpolate.Forward(_dev, p, dx.View, y.View);
        var yh = _dev.Download(y.View);
        TestUtil.Close(expected, yh, 1e-6f, 0f, $"{mode}");
        // Larger random adjoint check: <interp(x), r> = <x, interp^T(r)>.
        var q = Interpolate.Create(2, 5, 3, 7, 8, mode, alignCorners);
        var xs = TestUtil.Random(2 * 5 * 3, 151); var r = TestUtil.Random(2 * 7 * 8, 152);
        using var dxs = _dev.Upload<float>(xs); using var dys = _dev.Rent<float>(r.Length); using var dr = _dev.Upload<float>(r); using var dgx = _dev.Rent<float>(xs.Length);
        Interpolate.Forward(_dev, q, dxs.View, dys.View);
        Interpolate.Backward(_dev, q, dr.View, dgx.View);
        Assert.Equal(Dot(_dev.Download(dys.View), r), Dot(xs, _dev.Download(dgx.View)), 4);
    }
}
