namespace Engine;

/// <summary>Conv2d and ConvTranspose2d (NCHW, PyTorch weight layouts) as im2col/col2im + GEMM per image and group.</summary>
public static partial class Ops
{
    private static void CheckConvArgs(string op, Tensor x, Tensor w, Tensor? b, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups)
    {
        RequireF32(x, op, "input"); RequireF32(w, op, "weight"); RequireSameDevice(op, x, w);
        if (x.Rank != 4) throw new ArgumentException($"{op}: input must be [N, C, H, W], got {Shape.Format(x.Shape)}.");
        if (w.Rank != 4) throw new ArgumentException($"{op}: weight must be rank 4, got {Shape.Format(w.Shape)}.");
        if (groups < 1) throw new ArgumentException($"{op}: groups must be positive, got {groups}.");
        if (stride.h < 1 || stride.w < 1 || dilation.h < 1 || dilation.w < 1 || padding.h < 0 || padding.w < 0)
            throw new ArgumentException($"{op}: stride {stride} and dilation {dilation} must be positive, padding {padding} non-negative.");
        if (b is not null) { RequireF32(b, op, "bias"); RequireSameDevice(op, x, b); }
    }

    private static void AddChannelBias(Tensor y, Tensor b)
    {
        var bd = Raw(b);
        int nb = y.Shape[0], c = y.Shape[1], sp = Prod(y.Shape, 2, y.Rank);
        var ones = NewF32(y.Device, new[] { c }); BackendOf(y).Fill(ones.Storage, ones.Offset, c, 1f);
        BackendOf(y).ChannelAffine(y.Storage, y.Offset, nb, c, sp, ones.Storage, bd.Storage, y.Storage, y.Offset);
    }

    private static Tensor BiasGrad(Tensor g)
    {
        // sum over N and spatial axes -> [C]
        var g3 = Raw(g).Reshape(g.Shape[0], g.Shape[1], -1);
        return ReduceRaw(ReduceRaw(g3, 2, 1f, keepDim: false), 0, 1f, keepDim: false);
    }

    /// <summary>w [Cout, Cin/groups, kh, kw].</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups = 1)
    {
        CheckConvArgs("Conv2d", x, w, b, stride, padding, dilation, groups);
        int n = x.Shape[0], cin = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int cout = w.Shape[0], cinG = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        if (cin % groups != 0 || cout % groups != 0 || cinG != cin / groups)
            throw new ArgumentException($"Conv2d: input {Shape.Format(x.Shape)} with weight {Shape.Format(w.Shape)} and groups {groups}: expected weight [Cout, {cin / Math.Max(1, groups)}, kh, kw] with Cout and Cin divisible by groups.");
        if (b is not null && (b.Rank != 1 || b.Shape[0] != cout)) throw new ArgumentException($"Conv2d: bias {Shape.Format(b.Shape)} does not match {cout} output channels.");
        int outH = (h + 2 * padding.h - dilation.h * (kh - 1) - 1) / stride.h + 1;
        int outW = (wd + 2 * padding.w - dilation.w * (kw - 1) - 1) / stride.w + 1;
        if (outH <= 0 || outW <= 0) throw new ArgumentException($"Conv2d: input {Shape.Format(x.Shape)} is too small for kernel {kh}x{kw} (dilation {dilation}, padding {padding}).");
        int coutG = cout / groups, kk = cinG * kh * kw, ohw = outH * outW;
        var xc = Raw(x); var wc = Raw(w);
        var be = BackendOf(x);
        var y = NewF32(x.Device, new[] { n, cout, outH, outW });
        // A 1x1, stride-1, unpadded convolution reads the image itself as the column matrix.
        bool direct = kh == 1 && kw == 1 && stride == (1, 1) && padding == (0, 0);
        var col = direct ? null : be.Allocate(DType.F32, (long)kk * ohw, clear: false);
        try
        {
            for (int img = 0; img < n; img++)
                for (int g = 0; g < groups; g++)
                {
                    long xOff = xc.Offset + ((long)img * cin + g * cinG) * h * wd;
                    Storage cs = xc.Storage; long cOff = xOff;
                    if (!direct)
                    {
                        be.Im2Col(xc.Storage, xOff, cinG, h, wd, kh, kw, stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, outH, outW, col!, 0);
                        cs = col!; cOff = 0;
                    }
                    be.Gemm(false, false, coutG, ohw, kk, 1f, wc.Storage, wc.Offset + (long)g * coutG * kk, kk, cs, cOff, ohw,
                            0f, y.Storage, y.Offset + ((long)img * cout + g * coutG) * ohw, ohw);
                }
        }
        finally { col?.Dispose(); }
        if (b is not null) AddChannelBias(y, b);
        var inputs = b is null ? new[] { x, w } : new[] { x, w, b };
        return y.WithGrad("conv2d", inputs, gy =>
        {
            var gc = Raw(gy);
            var gx = x.RequiresGrad ? NewF32(x.Device, Copy(x.Shape), clear: true) : null;
            var gw = w.RequiresGrad ? NewF32(x.Device, Copy(w.Shape), clear: true) : null;
            var colB = direct ? null : be.Allocate(DType.F32, (long)kk * ohw, clear: false);
            var gcol = gx is null || direct ? null : be.Allocate(DType.F32, (long)kk * ohw, clear: false);
            try
            {
                for (int img = 0; img < n; img++)
                    for (int g = 0; g < groups; g++)
                    {
                        long xOff = xc.Offset + ((long)img * cin + g * cinG) * h * wd;
                        long gOff = gc.Offset + ((long)img * cout + g * coutG) * ohw;
                        long wOff = wc.Offset + (long)g * coutG * kk;
                        if (gw is not null)
                        {
                            Storage cs = xc.Storage; long cOff = xOff;
                            if (!direct)
                            {
                                be.Im2Col(xc.Storage, xOff, cinG, h, wd, kh, kw, stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, outH, outW, colB!, 0);
                                cs = colB!; cOff = 0;
                            }
                            // gW_g += gy_g [coutG, ohw] @ col^T [ohw, kk]
                            be.Gemm(false, true, coutG, kk, ohw, 1f, gc.Storage, gOff, ohw, cs, cOff, ohw, 1f, gw.Storage, gw.Offset + (long)g * coutG * kk, kk);
                        }
                        if (gx is not null)
                        {
                            long gxOff = gx.Offset + ((long)img * cin + g * cinG) * h * wd;
                            if (direct)
                                be.Gemm(true, false, kk, ohw, coutG, 1f, wc.Storage, wOff, kk, gc.Storage, gOff, ohw, 0f, gx.Storage, gxOff, ohw);
                            else
                            {
                                // gcol = W_g^T [kk, coutG] @ gy_g [coutG, ohw], then scatter back to the image
                                be.Gemm(true, false, kk, ohw, coutG, 1f, wc.Storage, wOff, kk, gc.Storage, gOff, ohw, 0f, gcol!, 0, ohw);
                                be.Col2Im(gcol!, 0, cinG, h, wd, kh, kw, stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, outH, outW, gx.Storage, gxOff);
                            }
                        }
                    }
            }
            finally { colB?.Dispose(); gcol?.Dispose(); }
            var r = new List<Tensor?> { gx, gw };
            if (b is not null) r.Add(b.RequiresGrad ? BiasGrad(gy) : null);
            return r.ToArray();
        });
    }

    /// <summary>w [Cin, Cout/groups, kh, kw]; out = (in-1)*stride - 2*pad + dil*(k-1) + outPad + 1.</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor w, Tensor? b, (int h, int w) stride, (int h, int w) padding, (int h, int w) outputPadding, int groups = 1, (int h, int w)? dilation = null)
    {
        var dil = dilation ?? (1, 1);
        CheckConvArgs("ConvTranspose2d", x, w, b, stride, padding, dil, groups);
        int n = x.Shape[0], cin = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int coutG = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        if (w.Shape[0] != cin || cin % groups != 0)
            throw new ArgumentException($"ConvTranspose2d: weight {Shape.Format(w.Shape)} must be [Cin={cin}, Cout/groups, kh, kw] for input {Shape.Format(x.Shape)} (Cin divisible by groups {groups}).");
        if (outputPadding.h < 0 || outputPadding.w < 0 || (outputPadding.h >= stride.h && outputPadding.h >= dil.h) || (outputPadding.w >= stride.w && outputPadding.w >= dil.w))
            throw new ArgumentException($"ConvTranspose2d: output padding {outputPadding} must be smaller than either stride {stride} or dilation {dil}.");
        int cout = coutG * groups, cinG = cin / groups;
        if (b is not null && (b.Rank != 1 || b.Shape[0] != cout)) throw new ArgumentException($"ConvTranspose2d: bias {Shape.Format(b.Shape)} does not match {cout} output channels.");
        int outH = (h - 1) * stride.h - 2 * padding.h + dil.h * (kh - 1) + outputPadding.h + 1;
        int outW = (wd - 1) * stride.w - 2 * padding.w + dil.w * (kw - 1) + outputPadding.w + 1;
        if (outH <= 0 || outW <= 0) throw new ArgumentException($"ConvTranspose2d: output size {outH}x{outW} is not positive for input {Shape.Format(x.Shape)}.");
        int kk = coutG * kh * kw, hw = h * wd, ohw = outH * outW;
        var xc = Raw(x); var wc = Raw(w);
        var be = BackendOf(x);
        var y = NewF32(x.Device, new[] { n, cout, outH, outW }, clear: true);
        var col = be.Allocate(DType.F32, (long)kk * hw, clear: false);
        try
        {
            for (int img = 0; img < n; img++)
                for (int g = 0; g < groups; g++)
                {
                    // col [kk, hw] = W_g^T [kk, cinG] @ x_g [cinG, hw]; col2im scatters it into the (larger) output.
                    be.Gemm(true, false, kk, hw, cinG, 1f, wc.Storage, wc.Offset + (long)g * cinG * kk, kk,
                            xc.Storage, xc.Offset + ((long)img * cin + g * cinG) * hw, hw, 0f, col, 0, hw);
                    be.Col2Im(col, 0, coutG, outH, outW, kh, kw, stride.h, stride.w, padding.h, padding.w, dil.h, dil.w, h, wd,
                              y.Storage, y.Offset + ((long)img * cout + g * coutG) * ohw);
                }
        }
        finally { col.Dispose(); }
        if (b is not null) AddChannelBias(y, b);
        var inputs = b is null ? new[] { x, w } : new[] { x, w, b };
        return y.WithGrad("conv_transpose2d", inputs, gy =>
        {
            var gc = Raw(gy);
            var gx = x.RequiresGrad ? NewF32(x.Device, Copy(x.Shape)) : null;
            var gw = w.RequiresGrad ? NewF32(x.Device, Copy(w.Shape), clear: true) : null;
            var gcol = be.Allocate(DType.F32, (long)kk * hw, clear: false);
            try
            {
                for (int img = 0; img < n; img++)
                    for (int g = 0; g < groups; g++)
                    {
                        // gather the output gradient back onto the input grid: gcol [kk, hw]
                        be.Im2Col(gc.Storage, gc.Offset + ((long)img * cout + g * coutG) * ohw, coutG, outH, outW, kh, kw, stride.h, stride.w,
                                  padding.h, padding.w, dil.h, dil.w, h, wd, gcol, 0);
                        long wOff = wc.Offset + (long)g * cinG * kk;
                        long xOff = ((long)img * cin + g * cinG) * hw;
                        if (gx is not null)
                            be.Gemm(false, false, cinG, hw, kk, 1f, wc.Storage, wOff, kk, gcol, 0, hw, 0f, gx.Storage, gx.Offset + xOff, hw);
                        if (gw is not null)
                            be.Gemm(false, true, cinG, kk, hw, 1f, xc.Storage, xc.Offset + xOff, hw, gcol, 0, hw, 1f, gw.Storage, gw.Offset + (long)g * cinG * kk, kk);
                    }
            }
            finally { gcol.Dispose(); }
            var r = new List<Tensor?> { gx, gw };
            if (b is not null) r.Add(b.RequiresGrad ? BiasGrad(gy) : null);
            return r.ToArray();
        });
    }
}
