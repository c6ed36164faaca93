namespace Engine;

/// <summary>F.interpolate (nearest / bilinear / bicubic, align_corners both ways) and constant 2-D padding.</summary>
public static partial class Ops
{
    /// <summary>F.interpolate on [N, C, H, W] (or [C, H, W]) without antialias; bicubic uses a = -0.75, an unclamped
    /// source coordinate and clamped taps, exactly as PyTorch (see Backends.InterpolationTaps).</summary>
    public static Tensor Interpolate(Tensor x, int outH, int outW, InterpolationMode mode, bool alignCorners = false)
    {
        var (planes, h, w) = PlaneView(x, "Interpolate");
        if (outH < 1 || outW < 1) throw new ArgumentException($"Interpolate: output size {outH}x{outW} must be positive (input {Shape.Format(x.Shape)}).");
        if (h < 1 || w < 1) throw new ArgumentException($"Interpolate: input {Shape.Format(x.Shape)} is empty.");
        var xc = Raw(x); var be = BackendOf(x);
        var y = NewF32(x.Device, PooledShape(x, outH, outW));
        be.Interpolate2d(mode, alignCorners, xc.Storage, xc.Offset, planes, h, w, outH, outW, y.Storage, y.Offset);
        var inShape = Copy(x.Shape);
        return y.WithGrad("interpolate", new[] { x }, g =>
        {
            var gc = Raw(g);
            var gx = NewF32(g.Device, inShape, clear: true);
            be.Interpolate2dBackward(mode, alignCorners, gc.Storage, gc.Offset, planes, h, w, outH, outW, gx.Storage, gx.Offset);
            return new[] { gx };
        });
    }

    /// <summary>Constant padding of the last two axes: (left, right, top, bottom). Negative amounts crop (as F.pad).</summary>
    public static Tensor Pad2d(Tensor x, int left, int right, int top, int bottom, float value = 0f)
    {
        RequireF32(x, "Pad2d");
        if (x.Rank < 2) throw new ArgumentException($"Pad2d needs at least two axes, got {Shape.Format(x.Shape)}.");
        // Cropping first (a differentiable view), then non-negative padding.
        var src = x;
        int h = x.Shape[^2], w = x.Shape[^1];
        int cl = Math.Max(0, -left), cr = Math.Max(0, -right), ct = Math.Max(0, -top), cb = Math.Max(0, -bottom);
        if (cl + cr > w || ct + cb > h) throw new ArgumentException($"Pad2d: negative padding ({left}, {right}, {top}, {bottom}) crops more than input {Shape.Format(x.Shape)}.");
        if (cl + cr > 0) src = src.Narrow(-1, cl, w - cl - cr);
        if (ct + cb > 0) src = src.Narrow(-2, ct, h - ct - cb);
        int pl = Math.Max(0, left), pr = Math.Max(0, right), pt = Math.Max(0, top), pb = Math.Max(0, bottom);
        if (pl + pr + pt + pb == 0) return src;
        var shape = Copy(src.Shape); shape[^2] += pt + pb; shape[^1] += pl + pr;
        var y = NewF32(x.Device, shape);
        BackendOf(x).Fill(y.Storage, y.Offset, y.Numel, value);
        int sh = src.Shape[^2], sw = src.Shape[^1];
        if (sh > 0 && sw > 0) CopyInto(y.Narrow(-2, pt, sh).Narrow(-1, pl, sw), src.Detach());
        return y.WithGrad("pad2d", new[] { src }, g => new[] { g.Narrow(-2, pt, sh).Narrow(-1, pl, sw) });
    }
}
