using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>Geometry of a 2-D convolution in "conv terms": an image [C, H, W] is read through a KH x KW window
/// (stride, padding, dilation) into an output [OC, OH, OW]; weight [OC, C/G, KH, KW].</summary>
public struct ConvGeometry
{
    public int C, H, W, OC, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW, Groups;

    public readonly int Cg => C / Groups;
    public readonly int OCg => OC / Groups;
    public readonly int ColRows => Cg * KH * KW * Groups; // = C * KH * KW
    public readonly int Positions => OH * OW;

    internal readonly void Validate()
    {
        if (C <= 0 || OC <= 0 || H <= 0 || W <= 0 || KH <= 0 || KW <= 0 || SH <= 0 || SW <= 0 || DH <= 0 || DW <= 0 || PH < 0 || PW < 0 || Groups <= 0)
            throw new ArgumentException($"Invalid convolution geometry {this}.");
        if (C % Groups != 0 || OC % Groups != 0) throw new ArgumentException($"Channels {C} -> {OC} are not divisible by groups {Groups}.");
        if (OH <= 0 || OW <= 0) throw new ArgumentException($"Convolution output would be empty ({OH} x {OW}) for input {H} x {W}, kernel {KH} x {KW}.");
        if (OH != (H + 2 * PH - DH * (KH - 1) - 1) / SH + 1 || OW != (W + 2 * PW - DW * (KW - 1) - 1) / SW + 1)
            throw new ArgumentException($"Output size {OH} x {OW} does not match input {H} x {W} with this kernel/stride/padding/dilation.");
    }

    public static ConvGeometry ForConv2d(int c, int h, int w, int oc, int kh, int kw, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups)
    {
        var g = new ConvGeometry
        {
            C = c, H = h, W = w, OC = oc, KH = kh, KW = kw, SH = stride.h, SW = stride.w, PH = padding.h, PW = padding.w,
            DH = dilation.h, DW = dilation.w, Groups = groups,
        };
        g.OH = (h + 2 * padding.h - dilation.h * (kh - 1) - 1) / Math.Max(1, stride.h) + 1;
        g.OW = (w + 2 * padding.w - dilation.w * (kw - 1) - 1) / Math.Max(1, stride.w) + 1;
        return g;
    }

    public override readonly string ToString() => $"C={C} {H}x{W} -> OC={OC} {OH}x{OW}, k={KH}x{KW} s={SH},{SW} p={PH},{PW} d={DH},{DW} g={Groups}";
}

/// <summary>
/// conv2d and conv-transpose2d through im2col / col2im and the tiled GEMM, forward and backward. Per image: im2col
/// writes [C*KH*KW, OH*OW] columns, and one GEMM batched over groups does the channel contraction. col2im gathers
/// (no atomics, deterministic). Conv-transpose is the adjoint: its forward is conv's data-gradient and vice versa.
/// </summary>
public static class Conv
{
    [GpuKernel]
    public static void Im2colKernel(Index1D e, ArrayView<float> img, ArrayView<float> col, ConvGeometry g, long imgOff)
    {
        int P = g.OH * g.OW, row = e / P, pos = e % P;
        int c = row / (g.KH * g.KW), kh = (row / g.KW) % g.KH, kw = row % g.KW;
        int oh = pos / g.OW, ow = pos % g.OW;
        int ih = oh * g.SH - g.PH + kh * g.DH, iw = ow * g.SW - g.PW + kw * g.DW;
        col[e] = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? img[imgOff + ((long)c * g.H + ih) * g.W + iw] : 0f;
    }

    /// <summary>img[c, ih, iw] = sum of the column entries that im2col would have read from it (overwrites).</summary>
    [GpuKernel]
    public static void Col2imKernel(Index1D e, ArrayView<float> col, ArrayView<float> img, ConvGeometry g, long imgOff, int accumulate)
    {
        int iw = e % g.W, ih = (e / g.W) % g.H, c = e / (g.W * g.H);
        int P = g.OH * g.OW;
        float acc = 0f;
        for (int kh = 0; kh < g.KH; kh++)
        {
            int th = ih + g.PH - kh * g.DH;
            if (th < 0 || th % g.SH != 0) continue;
            int oh = th / g.SH;
            if (oh >= g.OH) continue;
            for (int kw = 0; kw < g.KW; kw++)
            {
                int tw = iw + g.PW - kw * g.DW;
                if (tw < 0 || tw % g.SW != 0) continue;
                int ow = tw / g.SW;
                if (ow >= g.OW) continue;
                acc += col[((long)(c * g.KH + kh) * g.KW + kw) * P + oh * g.OW + ow];
            }
        }
        img[imgOff + e] = accumulate != 0 ? img[imgOff + e] + acc : acc;
    }

    /// <summary>y[n, c, p] += bias[c] over contiguous [N, C, P].</summary>
    [GpuKernel]
    public static void AddBiasKernel(Index1D e, ArrayView<float> y, ArrayView<float> bias, int channels, int positions) =>
        y[e] += bias[(e / positions) % channels];

    private static void Im2col(GpuDevice dev, ArrayView<float> img, long imgOff, ConvGeometry g, ArrayView<float> col) =>
        dev.Auto<ArrayView<float>, ArrayView<float>, ConvGeometry, long>(Im2colKernel)(Check.ToInt((long)g.ColRows * g.Positions, "im2col size"), img, col, g, imgOff);

    private static void Col2im(GpuDevice dev, ArrayView<float> col, ConvGeometry g, ArrayView<float> img, long imgOff, bool accumulate = false) =>
        dev.Auto<ArrayView<float>, ArrayView<float>, ConvGeometry, long, int>(Col2imKernel)(Check.ToInt((long)g.C * g.H * g.W, "image size"), col, img, g, imgOff, accumulate ? 1 : 0);

    /// <summary>col [C*KH*KW, OH*OW] from one image at <paramref name="imgOff"/> (only C, H, W, kernel, stride,
    /// padding, dilation, OH, OW of <paramref name="g"/> are used).</summary>
    public static void Im2colImage(GpuDevice dev, ArrayView<float> img, long imgOff, ConvGeometry g, ArrayView<float> col)
    {
        Check.Fits(img, imgOff + (long)g.C * g.H * g.W, "image"); Check.Fits(col, (long)g.ColRows * g.Positions, "col");
        if ((long)g.ColRows * g.Positions == 0) return;
        Im2col(dev, img, imgOff, g, col);
    }

    /// <summary>Adjoint of <see cref="Im2colImage"/>: image (+)= col scattered back.</summary>
    public static void Col2imImage(GpuDevice dev, ArrayView<float> col, ConvGeometry g, ArrayView<float> img, long imgOff, bool accumulate)
    {
        Check.Fits(img, imgOff + (long)g.C * g.H * g.W, "image"); Check.Fits(col, (long)g.ColRows * g.Positions, "col");
        if ((long)g.C * g.H * g.W == 0) return;
        Col2im(dev, col, g, img, imgOff, accumulate);
    }

    internal static void AddBias(GpuDevice dev, ArrayView<float> y, ArrayView<float> bias, int n, int channels, int positions)
    {
        Check.Fits(bias, channels, "bias"); Check.Fits(y, (long)n * channels * positions, "y");
        if ((long)n * channels * positions == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, int, int>(AddBiasKernel)(Check.ToInt((long)n * channels * positions, "elements"), y, bias, channels, positions);
    }

    private static void CheckShapes(ConvGeometry g, int n, ArrayView<float> img, ArrayView<float> weight, ArrayView<float> outp)
    {
        g.Validate();
        Check.Positive(n, "batch");
        Check.Fits(img, (long)n * g.C * g.H * g.W, "image");
        Check.Fits(weight, (long)g.OC * g.Cg * g.KH * g.KW, "weight");
        Check.Fits(outp, (long)n * g.OC * g.Positions, "output");
    }

    /// <summary>out [N, OC, OH, OW] = conv(img [N, C, H, W], weight [OC, C/G, KH, KW]) (+ bias when non-empty).</summary>
    public static void Conv2d(GpuDevice dev, ConvGeometry g, int n, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y,
                              GemmPrecision precision = GemmPrecision.Fp32)
    {
        CheckShapes(g, n, x, weight, y);
        using var col = dev.Rent<float>((long)g.ColRows * g.Positions);
        int kk = g.Cg * g.KH * g.KW, P = g.Positions;
        for (int i = 0; i < n; i++)
        {
            Im2col(dev, x, (long)i * g.C * g.H * g.W, g, col.View);
            // y_g (OCg x P) = W_g (OCg x kk) @ col_g (kk x P), batched over groups.
            Gemm.SgemmBatched(dev, false, false, g.OCg, P, kk, 1f, weight, 0, kk, col.View, 0, P, 0f, y, (long)i * g.OC * P, P,
                              GemmBatch.Strided(g.Groups, (long)g.OCg * kk, (long)kk * P, (long)g.OCg * P), precision);
        }
        if (bias.Length > 0) AddBias(dev, y, bias, n, g.OC, P);
    }

    /// <summary>Data gradient of conv2d (also conv-transpose2d's forward): gx [N, C, H, W] from gy [N, OC, OH, OW].</summary>
    public static void Conv2dBackwardData(GpuDevice dev, ConvGeometry g, int n, ArrayView<float> gy, ArrayView<float> weight, ArrayView<float> gx,
                                          GemmPrecision precision = GemmPrecision.Fp32)
    {
        CheckShapes(g, n, gx, weight, gy);
        using var col = dev.Rent<float>((long)g.ColRows * g.Positions);
        int kk = g.Cg * g.KH * g.KW, P = g.Positions;
        for (int i = 0; i < n; i++)
        {
            // col_g (kk x P) = W_g^T (kk x OCg) @ gy_g (OCg x P)
            Gemm.SgemmBatched(dev, true, false, kk, P, g.OCg, 1f, weight, 0, kk, gy, (long)i * g.OC * P, P, 0f, col.View, 0, P,
                              GemmBatch.Strided(g.Groups, (long)g.OCg * kk, (long)g.OCg * P, (long)kk * P), precision);
            Col2im(dev, col.View, g, gx, (long)i * g.C * g.H * g.W);
        }
    }

    /// <summary>Weight gradient of conv2d: gw [OC, C/G, KH, KW] = sum_n gy_n @ im2col(x_n)^T (overwrites gw).</summary>
    public static void Conv2dBackwardWeight(GpuDevice dev, ConvGeometry g, int n, ArrayView<float> x, ArrayView<float> gy, ArrayView<float> gw,
                                            GemmPrecision precision = GemmPrecision.Fp32)
    {
        CheckShapes(g, n, x, gw, gy);
        using var col = dev.Rent<float>((long)g.ColRows * g.Positions);
        int kk = g.Cg * g.KH * g.KW, P = g.Positions;
        for (int i = 0; i < n; i++)
        {
            Im2col(dev, x, (long)i * g.C * g.H * g.W, g, col.View);
            // gw_g (OCg x kk) (+)= gy_g (OCg x P) @ col_g^T (P x kk)
            Gemm.SgemmBatched(dev, false, true, g.OCg, kk, P, 1f, gy, (long)i * g.OC * P, P, col.View, 0, P, i == 0 ? 0f : 1f, gw, 0, kk,
                              GemmBatch.Strided(g.Groups, (long)g.OCg * P, (long)kk * P, (long)g.OCg * kk), precision);
        }
    }

    /// <summary>Bias gradient: gb[c] = sum over batch and positions of gy [N, C, P].</summary>
    public static void BiasBackward(GpuDevice dev, ArrayView<float> gy, int n, int channels, int positions, ArrayView<float> gb) =>
        Elementwise.SumToShape(dev, gy, new[] { n, channels, positions }, gb, new[] { channels, 1 });

    /// <summary>Geometry of conv-transpose2d x [N, Cin, H, W] -> y [N, Cout, OH, OW] (weight [Cin, Cout/G, KH, KW])
    /// expressed as the conv that maps y back to x.</summary>
    public static ConvGeometry ForConvTranspose2d(int cin, int h, int w, int cout, int kh, int kw, (int h, int w) stride, (int h, int w) padding,
                                                  (int h, int w) outputPadding, (int h, int w) dilation, int groups)
    {
        int oh = (h - 1) * stride.h - 2 * padding.h + dilation.h * (kh - 1) + outputPadding.h + 1;
        int ow = (w - 1) * stride.w - 2 * padding.w + dilation.w * (kw - 1) + outputPadding.w + 1;
        if (outputPadding.h >= Math.Max(stride.h, dilation.h) || outputPadding.w >= Math.Max(stride.w, dilation.w) || outputPadding.h < 0 || outputPadding.w < 0)
            throw new ArgumentException($"output_padding {outputPadding} must be smaller than stride or dilation.");
        return new ConvGeometry
        {
            C = cout, H = oh, W = ow, OC = cin, OH = h, OW = w, KH = kh, KW = kw, SH = stride.h, SW = stride.w,
            PH = padding.h, PW = padding.w, DH = dilation.h, DW = dilation.w, Groups = groups,
        };
    }

    /// <summary>y [N, Cout, OH, OW] = conv_transpose(x [N, Cin, H, W]) (+ bias); g from <see cref="ForConvTranspose2d"/>.</summary>
    public static void ConvTranspose2d(GpuDevice dev, ConvGeometry g, int n, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y,
                                       GemmPrecision precision = GemmPrecision.Fp32)
    {
        Conv2dBackwardData(dev, g, n, x, weight, y, precision);
        if (bias.Length > 0) AddBias(dev, y, bias, n, g.C, g.H * g.W);
    }

    /// <summary>Gradient of conv-transpose2d wrt its input: gx = conv2d(gy).</summary>
    public static void ConvTranspose2dBackwardData(GpuDevice dev, ConvGeometry g, int n, ArrayView<float> gy, ArrayView<float> weight, ArrayView<float> gx,
                                                   GemmPrecision precision = GemmPrecision.Fp32) =>
        Conv2d(dev, g, n, gy, weight, default, gx, precision);

    /// <summary>Gradient of conv-transpose2d wrt its weight [Cin, Cout/G, KH, KW]: the conv weight gradient with the
    /// roles of image (gy) and output gradient (x) exchanged.</summary>
    public static void ConvTranspose2dBackwardWeight(GpuDevice dev, ConvGeometry g, int n, ArrayView<float> x, ArrayView<float> gy, ArrayView<float> gw,
                                                     GemmPrecision precision = GemmPrecision.Fp32) =>
        Conv2dBackwardWeight(dev, g, n, gy, x, gw, precision);
}
