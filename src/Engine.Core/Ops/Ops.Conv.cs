using Engine.Backends;

namespace Engine;

/// <summary>Conv2d and ConvTranspose2d (NCHW, PyTorch weight layouts): validation and autograd here, compute in the
/// backend's batched convolution kernels (implicit-GEMM on the CPU; Im2Col/Col2Im + GEMM by default).</summary>
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
        var spec = new ConvSpec(n, cin, h, wd, cout, kh, kw, stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, groups);
        var xc = Raw(x); var wc = Raw(w); var bc = b is null ? null : Raw(b);
        var be = BackendOf(x);
        var y = NewF32(x.Device, new[] { n, cout, outH, outW });
        be.Conv2dForward(spec, xc.Storage, xc.Offset, wc.Storage, wc.Offset, bc?.Storage, bc?.Offset ?? 0, y.Storage, y.Offset);
        var inputs = b is null ? new[] { x, w } : new[] { x, w, b };
        return y.WithGrad("conv2d", inputs, gy =>
        {
            var gc = Raw(gy);
            Tensor? gx = null, gw = null;
            if (x.RequiresGrad)
            {
                gx = NewF32(x.Device, Copy(x.Shape));
                be.Conv2dBackwardData(spec, gc.Storage, gc.Offset, wc.Storage, wc.Offset, gx.Storage, gx.Offset);
            }
            if (w.RequiresGrad)
            {
                gw = NewF32(x.Device, Copy(w.Shape));
                be.Conv2dBackwardWeight(spec, xc.Storage, xc.Offset, gc.Storage, gc.Offset, gw.Storage, gw.Offset);
            }
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
        var spec = new ConvSpec(n, cin, h, wd, cout, kh, kw, stride.h, stride.w, padding.h, padding.w, dil.h, dil.w, groups, outputPadding.h, outputPadding.w);
        var xc = Raw(x); var wc = Raw(w); var bc = b is null ? null : Raw(b);
        var be = BackendOf(x);
        var y = NewF32(x.Device, new[] { n, cout, outH, outW });
        be.ConvTranspose2dForward(spec, xc.Storage, xc.Offset, wc.Storage, wc.Offset, bc?.Storage, bc?.Offset ?? 0, y.Storage, y.Offset);
        var inputs = b is null ? new[] { x, w } : new[] { x, w, b };
        return y.WithGrad("conv_transpose2d", inputs, gy =>
        {
            var gc = Raw(gy);
            Tensor? gx = null, gw = null;
            if (x.RequiresGrad)
            {
                gx = NewF32(x.Device, Copy(x.Shape));
                be.ConvTranspose2dBackwardData(spec, gc.Storage, gc.Offset, wc.Storage, wc.Offset, gx.Storage, gx.Offset);
            }
            if (w.RequiresGrad)
            {
                gw = NewF32(x.Device, Copy(w.Shape));
                be.ConvTranspose2dBackwardWeight(spec, xc.Storage, xc.Offset, gc.Storage, gc.Offset, gw.Storage, gw.Offset);
            }
            var r = new List<Tensor?> { gx, gw };
            if (b is not null) r.Add(b.RequiresGrad ? BiasGrad(gy) : null);
            return r.ToArray();
        });
    }
}
