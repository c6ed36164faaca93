namespace Engine;

/// <summary>Zero-copy views. Each records its inverse for autograd.</summary>
public sealed partial class Tensor
{
    /// <summary>Reshape; a view when contiguous, otherwise a copy. One dimension may be -1.</summary>
    public Tensor Reshape(params int[] shape)
    {
        shape = ResolveReshape(shape);
        var src = IsContiguous ? this : Contiguous();
        var r = new Tensor(src.Storage, shape, null, src.Offset);
        var inShape = (int[])Shape.Clone();
        return r.WithGrad("reshape", new[] { src }, g => new[] { g.Reshape(inShape) });
    }

    public Tensor View(params int[] shape)
    {
        if (!IsContiguous) throw new InvalidOperationException($"View() of a non-contiguous tensor {Engine.Shape.Format(Shape)}; use Reshape().");
        return Reshape(shape);
    }

    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        int s = Engine.Shape.Axis(startDim, Rank), e = Engine.Shape.Axis(endDim, Rank);
        var ns = new List<int>();
        for (int i = 0; i < s; i++) ns.Add(Shape[i]);
        int m = 1;
        for (int i = s; i <= e; i++) m *= Shape[i];
        ns.Add(m);
        for (int i = e + 1; i < Rank; i++) ns.Add(Shape[i]);
        return Reshape(ns.ToArray());
    }

    private int[] ResolveReshape(int[] shape)
    {
        shape = (int[])shape.Clone();
        int neg = -1; long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1) { if (neg >= 0) throw new ArgumentException("Only one -1 allowed in a reshape."); neg = i; }
            else known *= shape[i];
        }
        if (neg >= 0)
        {
            if (known == 0 || Numel % known != 0) throw new ArgumentException($"Cannot reshape {Engine.Shape.Format(Shape)} to {Engine.Shape.Format(shape)}.");
            shape[neg] = (int)(Numel / known);
        }
        if (Engine.Shape.Numel(shape) != Numel) throw new ArgumentException($"Cannot reshape {Engine.Shape.Format(Shape)} ({Numel} elements) to {Engine.Shape.Format(shape)}.");
        return shape;
    }

    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank) throw new ArgumentException($"Permute needs {Rank} dims, got {dims.Length}.");
        var ns = new int[Rank]; var st = new long[Rank]; var inv = new int[Rank]; var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = Engine.Shape.Axis(dims[i], Rank);
            if (seen[d]) throw new ArgumentException("Permute dims repeat.");
            seen[d] = true; ns[i] = Shape[d]; st[i] = Strides[d]; inv[d] = i;
        }
        var r = new Tensor(Storage, ns, st, Offset);
        return r.WithGrad("permute", new[] { this }, g => new[] { g.Permute(inv) });
    }

    public Tensor Transpose(int d0, int d1)
    {
        var p = new int[Rank];
        for (int i = 0; i < Rank; i++) p[i] = i;
        d0 = Engine.Shape.Axis(d0, Rank); d1 = Engine.Shape.Axis(d1, Rank);
        (p[d0], p[d1]) = (p[d1], p[d0]);
        return Permute(p);
    }

    /// <summary>Elements start..end-1 (step) along an axis, as a view. Negative start/end count from the end.</summary>
    public Tensor Slice(int axis, int start, int end, int step = 1)
    {
        axis = Engine.Shape.Axis(axis, Rank);
        int n = Shape[axis];
        if (start < 0) start += n;
        if (end < 0) end += n;
        start = Math.Clamp(start, 0, n); end = Math.Clamp(end, start, n);
        if (step <= 0) throw new ArgumentException("Slice step must be positive.");
        var ns = (int[])Shape.Clone(); var st = (long[])Strides.Clone();
        ns[axis] = (end - start + step - 1) / step;
        st[axis] = Strides[axis] * step;
        var r = new Tensor(Storage, ns, st, Offset + start * Strides[axis]);
        var inShape = (int[])Shape.Clone();
        return r.WithGrad("slice", new[] { this }, g =>
        {
            var z = Zeros(g.DType, g.Device, inShape);
            Ops.CopyInto(z.Slice(axis, start, end, step), g);
            return new[] { z };
        });
    }

    public Tensor Narrow(int axis, int start, int length) => Slice(axis, start, start + length);

    /// <summary>Index one position along an axis, dropping that axis.</summary>
    public Tensor Select(int axis, int index)
    {
        axis = Engine.Shape.Axis(axis, Rank);
        if (index < 0) index += Shape[axis];
        if (index < 0 || index >= Shape[axis]) throw new ArgumentOutOfRangeException(nameof(index), $"Index {index} out of range for axis {axis} of size {Shape[axis]}.");
        return Slice(axis, index, index + 1).Squeeze(axis);
    }

    public Tensor Unsqueeze(int axis)
    {
        axis = Engine.Shape.Axis(axis, Rank + 1);
        var ns = new List<int>(Shape); var st = new List<long>(Strides);
        ns.Insert(axis, 1);
        st.Insert(axis, axis < Rank ? Strides[axis] * Shape[axis] : 1);
        var r = new Tensor(Storage, ns.ToArray(), st.ToArray(), Offset);
        return r.WithGrad("unsqueeze", new[] { this }, g => new[] { g.Squeeze(axis) });
    }

    public Tensor Squeeze(int axis)
    {
        axis = Engine.Shape.Axis(axis, Rank);
        if (Shape[axis] != 1) throw new ArgumentException($"Cannot squeeze axis {axis} of size {Shape[axis]}.");
        var ns = new List<int>(Shape); var st = new List<long>(Strides);
        ns.RemoveAt(axis); st.RemoveAt(axis);
        var r = new Tensor(Storage, ns.ToArray(), st.ToArray(), Offset);
        return r.WithGrad("squeeze", new[] { this }, g => new[] { g.Unsqueeze(axis) });
    }

    /// <summary>Broadcast view (stride 0 on expanded axes). -1 keeps a dimension.</summary>
    public Tensor Expand(params int[] shape)
    {
        if (shape.Length < Rank) throw new ArgumentException($"Expand to {Engine.Shape.Format(shape)} has lower rank than {Engine.Shape.Format(Shape)}.");
        int lead = shape.Length - Rank;
        var ns = new int[shape.Length]; var st = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (i < lead) { ns[i] = shape[i]; st[i] = 0; continue; }
            int d = Shape[i - lead];
            int want = shape[i] == -1 ? d : shape[i];
            if (d == want) { ns[i] = d; st[i] = Strides[i - lead]; }
            else if (d == 1) { ns[i] = want; st[i] = 0; }
            else throw new ArgumentException($"Cannot expand {Engine.Shape.Format(Shape)} to {Engine.Shape.Format(shape)}.");
        }
        var r = new Tensor(Storage, ns, st, Offset);
        var inShape = (int[])Shape.Clone();
        return r.WithGrad("expand", new[] { this }, g => new[] { Ops.SumToShape(g, inShape) });
    }

    /// <summary>This tensor when already contiguous, else a contiguous copy.</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>A contiguous copy with its own storage (differentiable).</summary>
    public Tensor Clone()
    {
        var r = Empty(DType, Device, (int[])Shape.Clone());
        Ops.CopyInto(r, this);
        return r.WithGrad("clone", new[] { this }, g => new[] { g });
    }
}
