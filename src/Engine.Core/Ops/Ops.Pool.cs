namespace Engine;

/// <summary>Max, average and adaptive-average pooling over the last two axes of [N, C, H, W] (or [C, H, W]).</summary>
public static partial class Ops
{
    /// <summary>PyTorch's pooling output size, including the ceil-mode rule that the last window must start inside
    /// the input or the left padding.</summary>
    private static int PoolOutSize(int input, int k, int s, int p, bool ceil)
    {
        int num = input + 2 * p - k;
        int o = (ceil ? (num + s - 1) / s : num / s) + 1;
        if (ceil && (o - 1) * s >= input + p) o--;
        return o;
    }

    private static (int planes, int h, int w) PlaneView(Tensor x, string op)
    {
        RequireF32(x, op);
        if (x.Rank is not (3 or 4)) throw new ArgumentException($"{op}: input must be [N, C, H, W] or [C, H, W], got {Shape.Format(x.Shape)}.");
        return (Prod(x.Shape, 0, x.Rank - 2), x.Shape[^2], x.Shape[^1]);
    }

    private static void CheckPool(string op, Tensor x, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding)
    {
        if (kernel.h < 1 || kernel.w < 1 || stride.h < 1 || stride.w < 1) throw new ArgumentException($"{op}: kernel {kernel} and stride {stride} must be positive.");
        if (padding.h < 0 || padding.w < 0 || padding.h > kernel.h / 2 || padding.w > kernel.w / 2)
            throw new ArgumentException($"{op}: padding {padding} must be non-negative and at most half the kernel {kernel}.");
        _ = x;
    }

    private static int[] PooledShape(Tensor x, int oh, int ow) { var s = Copy(x.Shape); s[^2] = oh; s[^1] = ow; return s; }

    public static Tensor MaxPool2d(Tensor x, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding, bool ceilMode = false)
    {
        var (planes, h, w) = PlaneView(x, "MaxPool2d");
        CheckPool("MaxPool2d", x, kernel, stride, padding);
        int oh = PoolOutSize(h, kernel.h, stride.h, padding.h, ceilMode), ow = PoolOutSize(w, kernel.w, stride.w, padding.w, ceilMode);
        if (oh <= 0 || ow <= 0) throw new ArgumentException($"MaxPool2d: input {Shape.Format(x.Shape)} is too small for kernel {kernel}.");
        var xc = Raw(x); var be = BackendOf(x);
        var y = NewF32(x.Device, PooledShape(x, oh, ow));
        var argmax = be.Allocate(DType.I32, (long)planes * oh * ow, clear: false);
        be.MaxPool2d(xc.Storage, xc.Offset, planes, h, w, kernel.h, kernel.w, stride.h, stride.w, padding.h, padding.w, oh, ow, y.Storage, y.Offset, argmax);
        var inShape = Copy(x.Shape);
        return y.WithGrad("max_pool2d", new[] { x }, g =>
        {
            var gc = Raw(g);
            var gx = NewF32(g.Device, inShape, clear: true);
            be.MaxPool2dBackward(gc.Storage, gc.Offset, argmax, planes, h, w, oh, ow, gx.Storage, gx.Offset);
            return new[] { gx };
        });
    }

    public static Tensor AvgPool2d(Tensor x, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding, bool ceilMode = false, bool countIncludePad = true)
    {
        var (planes, h, w) = PlaneView(x, "AvgPool2d");
        CheckPool("AvgPool2d", x, kernel, stride, padding);
        int oh = PoolOutSize(h, kernel.h, stride.h, padding.h, ceilMode), ow = PoolOutSize(w, kernel.w, stride.w, padding.w, ceilMode);
        if (oh <= 0 || ow <= 0) throw new ArgumentException($"AvgPool2d: input {Shape.Format(x.Shape)} is too small for kernel {kernel}.");
        var xc = Raw(x); var be = BackendOf(x);
        var y = NewF32(x.Device, PooledShape(x, oh, ow));
        be.AvgPool2d(xc.Storage, xc.Offset, planes, h, w, kernel.h, kernel.w, stride.h, stride.w, padding.h, padding.w, oh, ow, countIncludePad, y.Storage, y.Offset);
        var inShape = Copy(x.Shape);
        return y.WithGrad("avg_pool2d", new[] { x }, g =>
        {
            var gc = Raw(g);
            var gx = NewF32(g.Device, inShape, clear: true);
            be.AvgPool2dBackward(gc.Storage, gc.Offset, planes, h, w, kernel.h, kernel.w, stride.h, stride.w, padding.h, padding.w, oh, ow, countIncludePad, gx.Storage, gx.Offset);
            return new[] { gx };
        });
    }

    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW)
    {
        var (planes, h, w) = PlaneView(x, "AdaptiveAvgPool2d");
        if (outH < 1 || outW < 1) throw new ArgumentException($"AdaptiveAvgPool2d: output size {outH}x{outW} must be positive.");
        if (h < 1 || w < 1) throw new ArgumentException($"AdaptiveAvgPool2d: input {Shape.Format(x.Shape)} is empty.");
        var xc = Raw(x); var be = BackendOf(x);
        var y = NewF32(x.Device, PooledShape(x, outH, outW));
        be.AdaptiveAvgPool2d(xc.Storage, xc.Offset, planes, h, w, outH, outW, y.Storage, y.Offset);
        var inShape = Copy(x.Shape);
        return y.WithGrad("adaptive_avg_pool2d", new[] { x }, g =>
        {
            var gc = Raw(g);
            var gx = NewF32(g.Device, inShape, clear: true);
            be.AdaptiveAvgPool2dBackward(gc.Storage, gc.Offset, planes, h, w, outH, outW, gx.Storage, gx.Offset);
            return new[] { gx };
        });
    }
}
