namespace Engine;

/// <summary>Sum/Mean/Max reductions and SumToShape (the inverse of broadcasting).</summary>
public static partial class Ops
{
    /// <summary>Sums contiguous [outer, n, inner] over n (no autograd).</summary>
    private static Tensor ReduceRaw(Tensor x, int axis, float scale, bool keepDim)
    {
        var xc = Raw(x);
        int outer = Prod(x.Shape, 0, axis), n = x.Shape[axis], inner = Prod(x.Shape, axis + 1, x.Rank);
        var shape = new List<int>(x.Shape);
        if (keepDim) shape[axis] = 1; else shape.RemoveAt(axis);
        var y = NewF32(x.Device, shape.ToArray());
        BackendOf(x).ReduceSum(xc.Storage, xc.Offset, outer, n, inner, scale, y.Storage, y.Offset);
        return y;
    }

    /// <summary>Sums a broadcast gradient back to <paramref name="shape"/> (inverse of broadcasting).</summary>
    public static Tensor SumToShape(Tensor g, int[] shape)
    {
        if (g.Shape.SameAs(shape)) return g;
        int lead = g.Rank - shape.Length;
        bool ok = lead >= 0;
        for (int i = 0; ok && i < shape.Length; i++) ok = shape[i] == g.Shape[lead + i] || shape[i] == 1;
        if (!ok) throw new ArgumentException($"SumToShape: {Shape.Format(g.Shape)} cannot be summed to {Shape.Format(shape)} (not a broadcast of it).");
        RequireF32(g, "SumToShape");
        var cur = g.Detach();
        if (lead > 0)
        {
            int l = Prod(g.Shape, 0, lead);
            cur = ReduceRaw(cur.Reshape(new[] { l }.Concat(shape.Select((_, i) => g.Shape[lead + i])).ToArray()), 0, 1f, keepDim: false);
        }
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] == 1 && cur.Shape[i] != 1) cur = ReduceRaw(cur, i, 1f, keepDim: true);
        var inShape = Copy(g.Shape);
        return cur.WithGrad("sum_to_shape", new[] { g }, gg => new[] { gg.Expand(inShape) });
    }

    public static Tensor Sum(Tensor x)
    {
        RequireF32(x, "Sum");
        var y = ReduceRaw(x.Detach().Reshape((int)x.Numel), 0, 1f, keepDim: false);
        var inShape = Copy(x.Shape);
        return y.WithGrad("sum", new[] { x }, g => new[] { g.Reshape(Enumerable.Repeat(1, inShape.Length).ToArray()).Expand(inShape) });
    }

    public static Tensor Sum(Tensor x, int axis, bool keepDim = false)
    {
        RequireF32(x, "Sum");
        int a = Shape.Axis(axis, x.Rank);
        var y = ReduceRaw(x, a, 1f, keepDim);
        var inShape = Copy(x.Shape);
        return y.WithGrad("sum_axis", new[] { x }, g => new[] { (keepDim ? g : g.Unsqueeze(a)).Expand(inShape) });
    }

    public static Tensor Mean(Tensor x)
    {
        RequireF32(x, "Mean");
        long n = x.Numel;
        var y = ReduceRaw(x.Detach().Reshape((int)n), 0, 1f / n, keepDim: false);
        var inShape = Copy(x.Shape);
        return y.WithGrad("mean", new[] { x }, g => new[] { Mul(g, 1f / n).Reshape(Enumerable.Repeat(1, inShape.Length).ToArray()).Expand(inShape) });
    }

    public static Tensor Mean(Tensor x, int axis, bool keepDim = false)
    {
        RequireF32(x, "Mean");
        int a = Shape.Axis(axis, x.Rank);
        int n = x.Shape[a];
        var y = ReduceRaw(x, a, 1f / n, keepDim);
        var inShape = Copy(x.Shape);
        return y.WithGrad("mean_axis", new[] { x }, g => new[] { (keepDim ? Mul(g, 1f / n) : Mul(g, 1f / n).Unsqueeze(a)).Expand(inShape) });
    }

    /// <summary>Max values (differentiable, gradient to the first maximum) and their indices (I64).</summary>
    public static (Tensor values, Tensor indices) Max(Tensor x, int axis, bool keepDim = false)
    {
        RequireF32(x, "Max");
        int a = Shape.Axis(axis, x.Rank);
        if (x.Shape[a] == 0) throw new ArgumentException($"Max: axis {axis} of {Shape.Format(x.Shape)} is empty.");
        var xc = Raw(x);
        int outer = Prod(x.Shape, 0, a), n = x.Shape[a], inner = Prod(x.Shape, a + 1, x.Rank);
        var shape = new List<int>(x.Shape);
        if (keepDim) shape[a] = 1; else shape.RemoveAt(a);
        var values = NewF32(x.Device, shape.ToArray());
        var idx = new long[(long)outer * inner];
        BackendOf(x).ReduceMax(xc.Storage, xc.Offset, outer, n, inner, values.Storage, values.Offset, idx);
        var indices = Tensor.FromArray(idx, shape.ToArray());
        var inShape = Copy(x.Shape);
        values.WithGrad("max", new[] { x }, g =>
        {
            var gc = Raw(g);
            var gx = NewF32(g.Device, inShape, clear: true);
            var ii = Array.ConvertAll(idx, v => (int)v);
            BackendOf(g).ScatterAdd(gc.Storage, gc.Offset, outer, n, inner, ii, 1, gx.Storage, gx.Offset);
            return new[] { gx };
        });
        return (values, indices);
    }

    public static Tensor ArgMax(Tensor x, int axis, bool keepDim = false)
    {
        using var _ = Tensor.NoGrad();
        return Max(x, axis, keepDim).indices;
    }
}
