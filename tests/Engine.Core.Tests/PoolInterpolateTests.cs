using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class PoolInterpolateTests
{
    [Fact]
    public void MaxPoolWithPaddingAndCeilMode()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 25).Select(i => (float)((i * 7) % 11)).ToArray(), 1, 1, 5, 5);
        var xa = x.ToArray();
        // kernel 2, stride 2, ceil mode: 3x3 output; the last window is clipped to the image
        var y = Ops.MaxPool2d(x, (2, 2), (2, 2), (0, 0), ceilMode: true);
        Assert.Equal(new[] { 1, 1, 3, 3 }, y.Shape);
        var exp = new double[9];
        for (int oy = 0; oy < 3; oy++) for (int ox = 0; ox < 3; ox++)
        {
            double m = double.NegativeInfinity;
            for (int iy = oy * 2; iy < Math.Min(oy * 2 + 2, 5); iy++) for (int ix = ox * 2; ix < Math.Min(ox * 2 + 2, 5); ix++) m = Math.Max(m, xa[iy * 5 + ix]);
            exp[oy * 3 + ox] = m;
        }
        Close(exp, y.ToArray(), 0);
        Assert.Equal(new[] { 1, 1, 2, 2 }, Ops.MaxPool2d(x, (2, 2), (2, 2), (0, 0)).Shape);
        // kernel 3, stride 2, padding 1 (ResNet stem): 3x3, padded cells never win
        var y2 = Ops.MaxPool2d(Ops.Neg(x), (3, 3), (2, 2), (1, 1));
        Assert.Equal(new[] { 1, 1, 3, 3 }, y2.Shape);
        Assert.Equal(-Math.Min(Math.Min(xa[0], xa[1]), Math.Min(xa[5], xa[6])), y2.ToArray()[0]);
        // distinct values 0.1 apart, so no window has a near-tie within the finite-difference step
        var perm = Enumerable.Range(0, 60).OrderBy(i => (i * 37) % 61).Select(i => i * 0.1f).ToArray();
        GradCheck(t => Ops.MaxPool2d(t[0], (3, 3), (2, 2), (1, 1), ceilMode: true), new[] { Tensor.FromArray(perm, 2, 1, 5, 6) });
    }

    [Fact]
    public void AvgPoolCountIncludePadAndCeil()
    {
        var x = Tensor.Ones(1, 1, 4, 4);
        var inc = Ops.AvgPool2d(x, (3, 3), (2, 2), (1, 1)).ToArray();
        var exc = Ops.AvgPool2d(x, (3, 3), (2, 2), (1, 1), countIncludePad: false).ToArray();
        // corner window covers 4 real pixels of 9 (with padding counted)
        Close(new[] { 4 / 9.0, 6 / 9.0, 6 / 9.0, 1.0 }, inc, 1e-6);
        Close(new[] { 1.0, 1.0, 1.0, 1.0 }, exc, 1e-6);
        // ceil mode: the extra window is clipped to input+pad for the divisor (torch: 1x1 window of a 5-wide input, k=2 s=2)
        var c = Ops.AvgPool2d(Tensor.Ones(1, 1, 5, 5), (2, 2), (2, 2), (0, 0), ceilMode: true).ToArray();
        Assert.Equal(9, c.Length);
        Close(Enumerable.Repeat(1.0, 9).ToArray(), c, 1e-6);
        GradCheck(t => Ops.AvgPool2d(t[0], (3, 3), (2, 2), (1, 1), ceilMode: true, countIncludePad: false), new[] { Rand(1, 1, 2, 5, 6) });
        GradCheck(t => Ops.AvgPool2d(t[0], (2, 2), (1, 2), (1, 0)), new[] { Rand(2, 1, 2, 4, 4) });
    }

    [Fact]
    public void AdaptiveAvgPoolUsesFloorCeilWindows()
    {
        var x = Rand(1, 2, 3, 5, 7);
        var xa = x.ToArray();
        var y = Ops.AdaptiveAvgPool2d(x, 3, 2).ToArray();
        var exp = new double[2 * 3 * 6];
        for (int p = 0; p < 6; p++) for (int oy = 0; oy < 3; oy++) for (int ox = 0; ox < 2; ox++)
        {
            int y0 = oy * 5 / 3, y1 = ((oy + 1) * 5 + 2) / 3, x0 = ox * 7 / 2, x1 = ((ox + 1) * 7 + 1) / 2;
            double s = 0;
            for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) s += xa[p * 35 + iy * 7 + ix];
            exp[p * 6 + oy * 2 + ox] = s / ((y1 - y0) * (x1 - x0));
        }
        Close(exp, y, 1e-6);
        Close(new[] { (double)xa.Take(35).Average() }, Ops.AdaptiveAvgPool2d(x, 1, 1).ToArray().Take(1).ToArray(), 1e-6);
        GradCheck(t => Ops.AdaptiveAvgPool2d(t[0], 2, 3), new[] { Rand(2, 1, 2, 5, 4) });
    }

    [Fact]
    public void NearestAndBilinearMatchHandComputedTorchValues()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 1, 1, 2, 2);
        // nearest 2->3: source floor(dst * 2/3) = 0, 0, 1
        Assert.Equal(new float[] { 1, 1, 2, 1, 1, 2, 3, 3, 4 }, Ops.Interpolate(x, 3, 3, InterpolationMode.Nearest).ToArray());
        // bilinear align_corners=True 2->3: exact thirds
        Assert.Equal(new float[] { 1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4 }, Ops.Interpolate(x, 3, 3, InterpolationMode.Bilinear, alignCorners: true).ToArray());
        // bilinear align_corners=False 2->4: source (d + 0.5)/2 - 0.5 clamped at 0 -> 0, .25, .75, 1 (then clamped index)
        double[] c = { 0, 0.25, 0.75, 1 };
        var exp = new double[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) exp[i * 4 + j] = 1 + c[j] + 2 * c[i];
        Close(exp, Ops.Interpolate(x, 4, 4, InterpolationMode.Bilinear).ToArray(), 1e-6);
        // downsampling nearest 3 -> 2: floor(d * 1.5) = 0, 1
        var x3 = Tensor.FromArray(Enumerable.Range(0, 9).Select(i => (float)i).ToArray(), 1, 1, 3, 3);
        Assert.Equal(new float[] { 0, 1, 3, 4 }, Ops.Interpolate(x3, 2, 2, InterpolationMode.Nearest).ToArray());
    }

    [Fact]
    public void BicubicMatchesKeysKernelWithUnclampedSourceAndClampedTaps()
    {
        // 2x2 -> 3x3, align_corners=False. Per axis (README rule 2): dst 0: src = 0.5*2/3 - 0.5 = -1/6 (NOT clamped),
        // f = -1, t = 5/6, taps -2..1 clamp to 0,0,0,1 with weights W(11/6), W(5/6), W(1/6), W(7/6)
        // = -0.0173611, 0.1328125 ... ; so row 0 = (w0+w1+w2) * x[0] + w3 * x[1] horizontally, etc.
        // Values derived from the formula in double (W(x) = 1.25|x|^3 - 2.25|x|^2 + 1, or -0.75|x|^3 + 3.75|x|^2 - 6|x| + 3):
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 1, 1, 2, 2);
        Close(new[] { 0.7395833333333359, 1.3263888888888902, 1.9131944444444435, 1.9131944444444442, 2.5, 3.086805555555553,
                      3.0868055555555514, 3.673611111111107, 4.26041666666666 },
              Ops.Interpolate(x, 3, 3, InterpolationMode.Bicubic).ToArray(), 2e-6);
        // align_corners=True on a linear ramp reproduces it exactly
        Close(new[] { 1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0 }, Ops.Interpolate(x, 3, 3, InterpolationMode.Bicubic, alignCorners: true).ToArray(), 2e-6);
        var x3 = Tensor.FromArray(new float[] { 0.5f, -1, 2, 3, 0, 1, -2, 4, 1.5f }, 1, 1, 3, 3);
        Close(new[] { 0.3901759999999987, -0.4959520000000015, -1.0959999999999988, 0.759872000000002, 2.402431999999996 },
              Ops.Interpolate(x3, 5, 5, InterpolationMode.Bicubic).ToArray().Take(5).ToArray(), 2e-6);
        Close(new[] { 0.6597976684570312, 1.0751495361328125, 0.16864013671875, 1.8916397094726562 },
              Ops.Interpolate(x3, 2, 2, InterpolationMode.Bicubic).ToArray(), 2e-6);
    }

    [Theory]
    [InlineData(InterpolationMode.Nearest, false)]
    [InlineData(InterpolationMode.Bilinear, false)]
    [InlineData(InterpolationMode.Bilinear, true)]
    [InlineData(InterpolationMode.Bicubic, false)]
    [InlineData(InterpolationMode.Bicubic, true)]
    public void InterpolateGradients(InterpolationMode mode, bool ac)
    {
        GradCheck(t => Ops.Interpolate(t[0], 5, 3, mode, ac), new[] { Rand(1, 1, 2, 3, 4) });
    }

    [Fact]
    public void Pad2dPadsAndCrops()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 1, 2, 3);
        var y = Ops.Pad2d(x, 1, 0, 0, 1, -1f);
        Assert.Equal(new[] { 1, 3, 4 }, y.Shape);
        Assert.Equal(new float[] { -1, 1, 2, 3, -1, 4, 5, 6, -1, -1, -1, -1 }, y.ToArray());
        Assert.Equal(new float[] { 2, 5 }, Ops.Pad2d(x, -1, -1, 0, 0).ToArray());
        GradCheck(t => Ops.Pad2d(t[0], 2, 1, -1, 1), new[] { Rand(1, 2, 3, 3) });
    }
}
