namespace Engine;

/// <summary>Embedding, IndexSelect, Gather, Cat, Stack, Split.</summary>
public static partial class Ops
{
    /// <summary>weight [V, D], ids I64/I32 of any shape -> [..., D]. An id outside [0, V) is an error naming it.</summary>
    public static Tensor Embedding(Tensor weight, Tensor ids)
    {
        RequireF32(weight, "Embedding", "weight");
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be [num, dim], got {Shape.Format(weight.Shape)}.");
        var idx = IdsOf(ids, "Embedding");
        int v = weight.Shape[0], d = weight.Shape[1];
        for (int i = 0; i < idx.Length; i++)
            if ((uint)idx[i] >= (uint)v)
                throw new ArgumentOutOfRangeException(nameof(ids), $"Embedding{(weight.Name is null ? "" : $" '{weight.Name}'")}: id {idx[i]} at flat position {i} of ids {Shape.Format(ids.Shape)} is outside the table [0, {v}).");
        var outShape = ids.Shape.Concat(new[] { d }).ToArray();
        return IndexSelectCore(weight, 0, idx, outShape, "embedding");
    }

    private static Tensor IndexSelectCore(Tensor x, int axis, int[] idx, int[] outShape, string name)
    {
        var xc = Raw(x);
        int outer = Prod(x.Shape, 0, axis), n = x.Shape[axis], inner = Prod(x.Shape, axis + 1, x.Rank);
        var y = NewF32(x.Device, outShape);
        BackendOf(x).IndexSelect(xc.Storage, xc.Offset, outer, n, inner, idx, y.Storage, y.Offset);
        var inShape = Copy(x.Shape);
        return y.WithGrad(name, new[] { x }, g =>
        {
            var gc = Raw(g);
            var gx = NewF32(g.Device, inShape, clear: true);
            BackendOf(g).IndexAdd(gc.Storage, gc.Offset, outer, n, inner, idx, gx.Storage, gx.Offset);
            return new[] { gx };
        });
    }

    /// <summary>torch.index_select: 1-D ids along an axis (negative ids are an error).</summary>
    public static Tensor IndexSelect(Tensor x, int axis, Tensor index)
    {
        RequireF32(x, "IndexSelect");
        if (index.Rank > 1) throw new ArgumentException($"IndexSelect: index must be 1-D, got {Shape.Format(index.Shape)}.");
        int a = Shape.Axis(axis, x.Rank);
        var idx = IdsOf(index, "IndexSelect");
        for (int i = 0; i < idx.Length; i++)
            if ((uint)idx[i] >= (uint)x.Shape[a]) throw new ArgumentOutOfRangeException(nameof(index), $"IndexSelect: index {idx[i]} at position {i} is out of range for axis {a} of size {x.Shape[a]} (input {Shape.Format(x.Shape)}).");
        var outShape = Copy(x.Shape); outShape[a] = idx.Length;
        return IndexSelectCore(x, a, idx, outShape, "index_select");
    }

    /// <summary>torch.gather: out[i][j] = x[i][index[i][j]] along axis; index I64/I32 with the same rank, each
    /// non-axis dimension at most x's.</summary>
    public static Tensor Gather(Tensor x, int axis, Tensor index)
    {
        RequireF32(x, "Gather");
        if (index.Rank != x.Rank) throw new ArgumentException($"Gather: index {Shape.Format(index.Shape)} must have the rank of the input {Shape.Format(x.Shape)}.");
        int a = Shape.Axis(axis, x.Rank);
        for (int i = 0; i < x.Rank; i++)
            if (i != a && index.Shape[i] > x.Shape[i]) throw new ArgumentException($"Gather: index {Shape.Format(index.Shape)} is larger than input {Shape.Format(x.Shape)} at dimension {i}.");
        var idx = IdsOf(index, "Gather");
        int n = x.Shape[a];
        for (int i = 0; i < idx.Length; i++)
            if ((uint)idx[i] >= (uint)n) throw new ArgumentOutOfRangeException(nameof(index), $"Gather: index {idx[i]} at flat position {i} is out of range for axis {a} of size {n}.");
        // Crop x to the index's extent on the other axes, so both are [outer, *, inner] with the same outer/inner.
        var xv = x.Detach();
        for (int i = 0; i < x.Rank; i++) if (i != a && index.Shape[i] != x.Shape[i]) xv = xv.Narrow(i, 0, index.Shape[i]);
        var xc = xv.Contiguous();
        int outer = Prod(index.Shape, 0, a), m = index.Shape[a], inner = Prod(index.Shape, a + 1, index.Rank);
        var y = NewF32(x.Device, Copy(index.Shape));
        BackendOf(x).Gather(xc.Storage, xc.Offset, outer, n, inner, idx, m, y.Storage, y.Offset);
        var inShape = Copy(x.Shape); var cropShape = Copy(xc.Shape);
        return y.WithGrad("gather", new[] { x }, g =>
        {
            var gc = Raw(g);
            var gcrop = NewF32(g.Device, cropShape, clear: true);
            BackendOf(g).ScatterAdd(gc.Storage, gc.Offset, outer, n, inner, idx, m, gcrop.Storage, gcrop.Offset);
            if (cropShape.SameAs(inShape)) return new[] { gcrop };
            var gx = NewF32(g.Device, inShape, clear: true);
            var view = gx;
            for (int i = 0; i < inShape.Length; i++) if (cropShape[i] != inShape[i]) view = view.Narrow(i, 0, cropShape[i]);
            CopyInto(view, gcrop);
            return new[] { gx };
        });
    }

    public static Tensor Cat(IReadOnlyList<Tensor> xs, int axis)
    {
        if (xs.Count == 0) throw new ArgumentException("Cat of an empty list.");
        var first = xs[0];
        int a = Shape.Axis(axis, first.Rank);
        int total = 0;
        for (int t = 0; t < xs.Count; t++)
        {
            var x = xs[t];
            if (x.Rank != first.Rank || x.DType != first.DType || x.Device != first.Device)
                throw new ArgumentException($"Cat: tensor {t} {Shape.Format(x.Shape)} {x.DType} on {x.Device} does not match tensor 0 {Shape.Format(first.Shape)} {first.DType} on {first.Device}.");
            for (int i = 0; i < x.Rank; i++)
                if (i != a && x.Shape[i] != first.Shape[i])
                    throw new ArgumentException($"Cat along axis {a}: tensor {t} has shape {Shape.Format(x.Shape)}, tensor 0 has {Shape.Format(first.Shape)} (they must agree except on the axis).");
            total += x.Shape[a];
        }
        var outShape = Copy(first.Shape); outShape[a] = total;
        var y = Tensor.Empty(first.DType, first.Device, outShape);
        int off = 0;
        var starts = new int[xs.Count];
        for (int t = 0; t < xs.Count; t++)
        {
            starts[t] = off;
            int len = xs[t].Shape[a];
            if (len > 0) CopyInto(y.Detach().Narrow(a, off, len), xs[t].Detach());
            off += len;
        }
        if (first.DType != DType.F32) return y;
        var inputs = xs.ToArray();
        return y.WithGrad("cat", inputs, g =>
        {
            var r = new Tensor?[inputs.Length];
            for (int t = 0; t < inputs.Length; t++)
                if (inputs[t].RequiresGrad) r[t] = g.Narrow(a, starts[t], inputs[t].Shape[a]);
            return r;
        });
    }

    public static Tensor Stack(IReadOnlyList<Tensor> xs, int axis)
    {
        if (xs.Count == 0) throw new ArgumentException("Stack of an empty list.");
        for (int t = 1; t < xs.Count; t++)
            if (!xs[t].Shape.SameAs(xs[0].Shape)) throw new ArgumentException($"Stack: tensor {t} has shape {Shape.Format(xs[t].Shape)}, tensor 0 has {Shape.Format(xs[0].Shape)}.");
        int a = Shape.Axis(axis, xs[0].Rank + 1);
        return Cat(xs.Select(x => x.Unsqueeze(a)).ToList(), a);
    }

    /// <summary>Views of consecutive pieces along an axis (sizes must add up to the axis length).</summary>
    public static Tensor[] Split(Tensor x, int[] sizes, int axis)
    {
        int a = Shape.Axis(axis, x.Rank);
        long sum = 0;
        foreach (var s in sizes) { if (s < 0) throw new ArgumentException($"Split: negative size in [{string.Join(", ", sizes)}]."); sum += s; }
        if (sum != x.Shape[a]) throw new ArgumentException($"Split: sizes [{string.Join(", ", sizes)}] add up to {sum}, but axis {a} of {Shape.Format(x.Shape)} has {x.Shape[a]}.");
        var r = new Tensor[sizes.Length];
        int off = 0;
        for (int i = 0; i < sizes.Length; i++) { r[i] = x.Narrow(a, off, sizes[i]); off += sizes[i]; }
        return r;
    }
}
