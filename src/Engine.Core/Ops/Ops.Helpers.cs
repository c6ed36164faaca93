using Engine.Backends;

namespace Engine;

/// <summary>Shared plumbing of the op files: validation, allocation, backend lookup.</summary>
public static partial class Ops
{
    internal static IBackend BackendOf(Tensor t) => BackendRegistry.Get(t.Device);

    internal static void RequireF32(Tensor t, string op, string what = "input")
    {
        if (t.DType != DType.F32) throw new ArgumentException($"{op}: {what} {Shape.Format(t.Shape)} must be float32, got {t.DType}.");
    }

    internal static void RequireSameDevice(string op, Tensor a, Tensor b)
    {
        if (a.Device != b.Device) throw new ArgumentException($"{op}: tensors are on different devices ({a.Device} vs {b.Device}).");
    }

    internal static void RequireRank(Tensor t, int rank, string op, string what = "input")
    {
        if (t.Rank != rank) throw new ArgumentException($"{op}: {what} must have rank {rank}, got shape {Shape.Format(t.Shape)}.");
    }

    /// <summary>A fresh contiguous float32 tensor on a device (contents undefined unless <paramref name="clear"/>).</summary>
    internal static Tensor NewF32(Device device, int[] shape, bool clear = false)
    {
        var s = BackendRegistry.Get(device).Allocate(DType.F32, Shape.Numel(shape), clear);
        TensorScope.Track(s);
        return new Tensor(s, shape);
    }

    /// <summary>Releases an op's own temporary (e.g. a contiguous copy of an input) right away when nothing recorded
    /// the op: <paramref name="temp"/> is disposed when it is a copy (not the input's storage) and the result does not
    /// share it. Keeps memory warm for the next op during inference.</summary>
    internal static void ReleaseTemp(Tensor temp, Tensor input, Tensor result)
    {
        if (result.GradFn is null && !ReferenceEquals(temp.Storage, input.Storage) && !ReferenceEquals(temp.Storage, result.Storage))
            temp.Dispose();
    }

    /// <summary>Contiguous, graph-free version of a tensor (no copy when already contiguous).</summary>
    internal static Tensor Raw(Tensor t) => t.Detach().Contiguous();

    /// <summary>Strides that read <paramref name="t"/> as if broadcast to <paramref name="shape"/> (0 on broadcast axes).</summary>
    internal static long[] BroadcastStrides(Tensor t, int[] shape)
    {
        var st = new long[shape.Length];
        int lead = shape.Length - t.Rank;
        for (int i = 0; i < t.Rank; i++)
            st[lead + i] = t.Shape[i] == 1 && shape[lead + i] != 1 ? 0 : t.Strides[i];
        return st;
    }

    internal static int[] Copy(int[] s) => (int[])s.Clone();

    /// <summary>Product of shape[from..to).</summary>
    internal static int Prod(int[] shape, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        if (p > int.MaxValue) throw new ArgumentException($"Tensor of shape {Shape.Format(shape)} is too large for this op.");
        return (int)p;
    }

    /// <summary>A float32 0/1 tensor on <paramref name="device"/> from a Bool/U8/I32/I64 (or float, used as is) mask.</summary>
    internal static Tensor MaskAsFloat(Tensor mask, Device device, string op)
    {
        if (mask.DType == DType.F32) return mask.Detach().To(device);
        if (mask.Device != Device.Cpu) throw new ArgumentException($"{op}: integer/bool mask must live on the CPU.");
        var v = mask.ToInt64Array();
        var f = new float[v.Length];
        for (int i = 0; i < v.Length; i++) f[i] = v[i] != 0 ? 1f : 0f;
        return Tensor.FromArray(f, Copy(mask.Shape)).To(device);
    }

    /// <summary>Ids of an I64/I32 tensor as ints (host), with a clear error for another dtype.</summary>
    internal static int[] IdsOf(Tensor ids, string op)
    {
        if (ids.DType is not (DType.I64 or DType.I32)) throw new ArgumentException($"{op}: index tensor {Shape.Format(ids.Shape)} must be int64 or int32, got {ids.DType}.");
        var l = ids.ToInt64Array();
        var r = new int[l.Length];
        for (int i = 0; i < l.Length; i++) r[i] = l[i] is >= int.MinValue and <= int.MaxValue ? (int)l[i] : throw new ArgumentException($"{op}: index {l[i]} at flat position {i} is out of range.");
        return r;
    }

    /// <summary>Adds a scalar tensor-free gradient helper: returns g when shape matches, else sums to shape.</summary>
    private static Tensor? GradFor(Tensor input, Tensor g) => input.RequiresGrad ? SumToShape(g, input.Shape) : null;
}
