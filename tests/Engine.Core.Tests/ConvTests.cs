using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class ConvTests
{
    /// <summary>Direct-loop convolution in double (PyTorch definition).</summary>
    private static double[] RefConv(float[] x, float[] w, float[]? b, int n, int cin, int h, int wd, int cout, int kh, int kw,
                                    (int h, int w) s, (int h, int w) p, (int h, int w) d, int groups, out int oh, out int ow)
    {
        oh = (h + 2 * p.h - d.h * (kh - 1) - 1) / s.h + 1; ow = (wd + 2 * p.w - d.w * (kw - 1) - 1) / s.w + 1;
        int cinG = cin / groups, coutG = cout / groups;
        var y = new double[n * cout * oh * ow];
        for (int img = 0; img < n; img++) for (int co = 0; co < cout; co++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++)
        {
            int g = co / coutG; double acc = b?[co] ?? 0;
            for (int ci = 0; ci < cinG; ci++) for (int ki = 0; ki < kh; ki++) for (int kj = 0; kj < kw; kj++)
            {
                int iy = oy * s.h - p.h + ki * d.h, ix = ox * s.w - p.w + kj * d.w;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += (double)x[((img * cin + g * cinG + ci) * h + iy) * wd + ix] * w[((co * cinG + ci) * kh + ki) * kw + kj];
            }
            y[((img * cout + co) * oh + oy) * ow + ox] = acc;
        }
        return y;
    }

    /// <summary>Transposed convolution by scattering every input pixel (the definition), in double.</summary>
    private static double[] RefConvT(float[] x, float[] w, float[]? b, int n, int cin, int h, int wd, int coutG, int kh, int kw,
                                     (int h, int w) s, (int h, int w) p, (int h, int w) op, (int h, int w) d, int groups, out int oh, out int ow)
    {
        oh = (h - 1) * s.h - 2 * p.h + d.h * (kh - 1) + op.h + 1; ow = (wd - 1) * s.w - 2 * p.w + d.w * (kw - 1) + op.w + 1;
        int cinG = cin / groups, cout = coutG * groups;
        var y = new double[n * cout * oh * ow];
        for (int img = 0; img < n; img++) for (int ci = 0; ci < cin; ci++) for (int iy = 0; iy < h; iy++) for (int ix = 0; ix < wd; ix++)
        {
            int g = ci / cinG;
            for (int co = 0; co < coutG; co++) for (int ki = 0; ki < kh; ki++) for (int kj = 0; kj < kw; kj++)
            {
                int oy = iy * s.h - p.h + ki * d.h, ox = ix * s.w - p.w + kj * d.w;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                y[((img * cout + g * coutG + co) * oh + oy) * ow + ox] += (double)x[((img * cin + ci) * h + iy) * wd + ix] * w[((ci * coutG + co) * kh + ki) * kw + kj];
            }
        }
        if (b != null) for (int i = 0; i < y.Length; i++) y[i] += b[i / (oh * ow) % cout];
        return y;
    }

    [Theory]
    [InlineData(1, 1, 0, 0, 1, 1, 1, 1)]   // 1x1 direct path
    [InlineData(3, 3, 1, 1, 1, 1, 1, 1)]
    [InlineData(3, 2, 2, 0, 2, 1, 1, 2)]   // stride, asymmetric kernel/padding, groups
    [InlineData(3, 3, 2, 2, 1, 2, 2, 1)]   // dilation
    [InlineData(2, 2, 0, 1, 2, 2, 1, 4)]   // depthwise-like groups
    public void Conv2dMatchesDirectLoopsAndGradients(int kh, int kw, int ph, int pw, int sh, int sw, int dil, int groups)
    {
        int n = 2, cin = 4, h = 6, wd = 5, cout = 4;
        var x = Rand(1, n, cin, h, wd); var w = Rand(2, cout, cin / groups, kh, kw); var b = Rand(3, cout);
        var y = Ops.Conv2d(x, w, b, (sh, sw), (ph, pw), (dil, dil), groups);
        var exp = RefConv(x.ToArray(), w.ToArray(), b.ToArray(), n, cin, h, wd, cout, kh, kw, (sh, sw), (ph, pw), (dil, dil), groups, out int oh, out int ow);
        Assert.Equal(new[] { n, cout, oh, ow }, y.Shape);
        Close(exp, y.ToArray(), 1e-5, 1e-5);
        var xs = Rand(4, 1, cin, 4, 4); var ws = Rand(5, cout, cin / groups, kh, kw);
        GradCheck(t => Ops.Conv2d(t[0], t[1], t[2], (sh, sw), (ph, pw), (dil, dil), groups), new[] { xs, ws, Rand(6, cout) });
    }

    [Theory]
    [InlineData(4, 4, 4, 4, 0, 0, 0, 0, 1, 1)]  // CLIPSeg head: k = stride
    [InlineData(3, 3, 2, 2, 1, 1, 1, 1, 1, 1)]  // stride 2, padding 1, output padding 1
    [InlineData(3, 2, 2, 1, 0, 1, 1, 0, 2, 1)]  // groups 2, asymmetric
    [InlineData(2, 2, 1, 1, 0, 0, 0, 0, 1, 2)]  // dilation 2
    public void ConvTranspose2dMatchesScatterDefinitionAndGradients(int kh, int kw, int sh, int sw, int ph, int pw, int oph, int opw, int groups, int dil)
    {
        int n = 2, cin = 4, h = 3, wd = 4, coutG = 3;
        var x = Rand(1, n, cin, h, wd); var w = Rand(2, cin, coutG, kh, kw); var b = Rand(3, coutG * groups);
        var y = Ops.ConvTranspose2d(x, w, b, (sh, sw), (ph, pw), (oph, opw), groups, (dil, dil));
        var exp = RefConvT(x.ToArray(), w.ToArray(), b.ToArray(), n, cin, h, wd, coutG, kh, kw, (sh, sw), (ph, pw), (oph, opw), (dil, dil), groups, out int oh, out int ow);
        Assert.Equal(new[] { n, coutG * groups, oh, ow }, y.Shape);
        Close(exp, y.ToArray(), 1e-5, 1e-5);
        GradCheck(t => Ops.ConvTranspose2d(t[0], t[1], t[2], (sh, sw), (ph, pw), (oph, opw), groups, (dil, dil)), new[] { Rand(4, 1, cin, 2, 3), w, b });
    }

    [Theory]
    [InlineData(3, 3, 1, 1, 1, 1, 1)]
    [InlineData(1, 1, 0, 1, 1, 1, 2)]
    [InlineData(3, 2, 1, 2, 2, 2, 2)]
    public void DefaultBackendConvolutionMatchesCpuKernels(int kh, int kw, int pad, int stride, int dil, int outPad, int groups)
    {
        // The IBackend default (Im2Col/Col2Im + Gemm, what a GPU backend inherits) against the CPU's implicit-GEMM kernels.
        var be = Engine.Backends.CpuBackend.Instance;
        int n = 2, cin = 4, h = 7, w = 6, cout = 6;
        var s = new Engine.Backends.ConvSpec(n, cin, h, w, cout, kh, kw, stride, stride, pad, pad, dil, dil, groups, Math.Min(outPad, stride - 1), Math.Min(outPad, stride - 1));
        var x = Rand(1, n, cin, h, w); var wt = Rand(2, cout, cin / groups, kh, kw); var b = Rand(3, cout);
        int oh = s.ConvOutH, ow = s.ConvOutW;
        var y1 = Tensor.Zeros(n, cout, oh, ow); var y2 = Tensor.Zeros(n, cout, oh, ow);
        be.Conv2dForward(s, x.Storage, 0, wt.Storage, 0, b.Storage, 0, y1.Storage, 0);
        Engine.Backends.ConvFallback.Conv2dForward(be, s, x.Storage, 0, wt.Storage, 0, b.Storage, 0, y2.Storage, 0);
        Close(D(y1.ToArray()), y2.ToArray(), 1e-5, 1e-5, "conv fwd");
        var gy = Rand(4, n, cout, oh, ow);
        var gx1 = Tensor.Full(9f, n, cin, h, w); var gx2 = Tensor.Full(9f, n, cin, h, w);
        be.Conv2dBackwardData(s, gy.Storage, 0, wt.Storage, 0, gx1.Storage, 0);
        Engine.Backends.ConvFallback.Conv2dBackwardData(be, s, gy.Storage, 0, wt.Storage, 0, gx2.Storage, 0);
        Close(D(gx1.ToArray()), gx2.ToArray(), 1e-5, 1e-5, "conv bwd data");
        var gw1 = Tensor.Full(9f, wt.Shape); var gw2 = Tensor.Full(9f, wt.Shape);
        be.Conv2dBackwardWeight(s, x.Storage, 0, gy.Storage, 0, gw1.Storage, 0);
        Engine.Backends.ConvFallback.Conv2dBackwardWeight(be, s, x.Storage, 0, gy.Storage, 0, gw2.Storage, 0);
        Close(D(gw1.ToArray()), gw2.ToArray(), 1e-4, 1e-5, "conv bwd weight");
        // transposed: input [n, cin, h, w], weight [cin, cout/groups, kh, kw]
        var wT = Rand(5, cin, cout / groups, kh, kw);
        int toh = s.TransposedOutH, tow = s.TransposedOutW;
        var t1 = Tensor.Zeros(n, cout, toh, tow); var t2 = Tensor.Zeros(n, cout, toh, tow);
        be.ConvTranspose2dForward(s, x.Storage, 0, wT.Storage, 0, b.Storage, 0, t1.Storage, 0);
        Engine.Backends.ConvFallback.ConvTranspose2dForward(be, s, x.Storage, 0, wT.Storage, 0, b.Storage, 0, t2.Storage, 0);
        Close(D(t1.ToArray()), t2.ToArray(), 1e-5, 1e-5, "convT fwd");
        var tgy = Rand(6, n, cout, toh, tow);
        var tgx1 = Tensor.Full(9f, x.Shape); var tgx2 = Tensor.Full(9f, x.Shape);
        be.ConvTranspose2dBackwardData(s, tgy.Storage, 0, wT.Storage, 0, tgx1.Storage, 0);
        Engine.Backends.ConvFallback.ConvTranspose2dBackwardData(be, s, tgy.Storage, 0, wT.Storage, 0, tgx2.Storage, 0);
        Close(D(tgx1.ToArray()), tgx2.ToArray(), 1e-5, 1e-5, "convT bwd data");
        var tgw1 = Tensor.Full(9f, wT.Shape); var tgw2 = Tensor.Full(9f, wT.Shape);
        be.ConvTranspose2dBackwardWeight(s, x.Storage, 0, tgy.Storage, 0, tgw1.Storage, 0);
        Engine.Backends.ConvFallback.ConvTranspose2dBackwardWeight(be, s, x.Storage, 0, tgy.Storage, 0, tgw2.Storage, 0);
        Close(D(tgw1.ToArray()), tgw2.ToArray(), 1e-4, 1e-5, "convT bwd weight");
    }

    [Fact]
    public void ConvTransposeWithOutputPaddingAtLeastStrideUsesTheFallback()
    {
        // legal in PyTorch when output padding < dilation; the CPU kernel cannot, the fallback does
        var x = Rand(1, 1, 2, 3, 3); var w = Rand(2, 2, 2, 2, 2);
        var y = Ops.ConvTranspose2d(x, w, null, (1, 1), (0, 0), (1, 1), 1, (2, 2));
        var exp = RefConvT(x.ToArray(), w.ToArray(), null, 1, 2, 3, 3, 2, 2, 2, (1, 1), (0, 0), (1, 1), (2, 2), 1, out int oh, out int ow);
        Assert.Equal(new[] { 1, 2, oh, ow }, y.Shape);
        Close(exp, y.ToArray(), 1e-5, 1e-5);
    }

    [Fact]
    public void ConvRejectsBadShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Conv2d(Rand(1, 1, 3, 5, 5), Rand(2, 4, 2, 3, 3), null, (1, 1), (0, 0), (1, 1)));
        Assert.Contains("[4, 2, 3, 3]", ex.Message);
        Assert.Throws<ArgumentException>(() => Ops.Conv2d(Rand(1, 3, 5, 5), Rand(2, 4, 3, 3, 3), null, (1, 1), (0, 0), (1, 1)));
        Assert.Throws<ArgumentException>(() => Ops.ConvTranspose2d(Rand(1, 1, 3, 5, 5), Rand(2, 4, 2, 3, 3), null, (1, 1), (0, 0), (0, 0)));
        Assert.Throws<ArgumentException>(() => Ops.ConvTranspose2d(Rand(1, 1, 4, 5, 5), Rand(2, 4, 2, 3, 3), null, (2, 2), (0, 0), (2, 2)));
    }
}
