using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

public enum ReduceOp { Sum, Mean, Max }

/// <summary>Axis view of a contiguous tensor: [Outer, N, Inner]; element (o, j, i) at (o * N + j) * Inner + i.</summary>
public struct AxisShape
{
    public int Outer, N, Inner;
    public readonly long Count => (long)Outer * N * Inner;
    public static AxisShape Of(ReadOnlySpan<int> shape, int axis)
    {
        if (axis < 0) axis += shape.Length;
        if (axis < 0 || axis >= shape.Length) throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} out of range for rank {shape.Length}.");
        long o = 1, i = 1;
        for (int d = 0; d < axis; d++) o *= shape[d];
        for (int d = axis + 1; d < shape.Length; d++) i *= shape[d];
        return new AxisShape { Outer = Check.ToInt(o, "outer size"), N = shape[axis], Inner = Check.ToInt(i, "inner size") };
    }
}

/// <summary>Reductions over one axis (sum, mean, max with first-max index) and their backward passes.
/// Inner == 1 (the last axis, the common case) uses one group per row with a shared-memory tree; otherwise one
/// thread per output walks the axis (coalesced across the inner axis).</summary>
public static class Reduce
{
    [GpuKernel(ExplicitlyGrouped = true)]
    public static void RowKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<long> idx, AxisShape s, int op)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.MaxThreads);
        var iscratch = SharedMemory.Allocate<int>(GroupReduce.MaxThreads);
        int row = Grid.IdxX, tid = Group.IdxX, nt = Group.DimX;
        long b = (long)row * s.N;
        if (op == (int)ReduceOp.Max)
        {
            float best = GpuMath.NegInf; int bi = s.N;
            for (int j = tid; j < s.N; j += nt)
            {
                float v = x[b + j];
                if (v > best || (float.IsNaN(v) && !float.IsNaN(best))) { best = v; bi = j; }
            }
            scratch[tid] = best; iscratch[tid] = bi;
            Group.Barrier();
            for (int st = nt / 2; st > 0; st /= 2)
            {
                if (tid < st)
                {
                    float o = scratch[tid + st]; int oi = iscratch[tid + st];
                    float m = scratch[tid]; int mi = iscratch[tid];
                    bool take = (o > m) || (o == m && oi < mi) || (float.IsNaN(o) && (!float.IsNaN(m) || oi < mi));
                    if (take) { scratch[tid] = o; iscratch[tid] = oi; }
                }
                Group.Barrier();
            }
            if (tid == 0) { y[row] = scratch[0]; idx[row] = iscratch[0] >= s.N ? 0 : iscratch[0]; }
        }
        else
        {
            float acc = 0f;
            for (int j = tid; j < s.N; j += nt) acc += x[b + j];
            float total = GroupReduce.Sum(acc, scratch);
            if (tid == 0) y[row] = op == (int)ReduceOp.Mean ? total / s.N : total;
        }
    }

    [GpuKernel]
    public static void StridedKernel(Index1D t, ArrayView<float> x, ArrayView<float> y, ArrayView<long> idx, AxisShape s, int op)
    {
        int o = t / s.Inner, i = t % s.Inner;
        long b = (long)o * s.N * s.Inner + i;
        if (op == (int)ReduceOp.Max)
        {
            float best = x[b]; int bi = 0;
            for (int j = 1; j < s.N; j++)
            {
                float v = x[b + (long)j * s.Inner];
                if (v > best || (float.IsNaN(v) && !float.IsNaN(best))) { best = v; bi = j; }
            }
            y[t] = best; idx[t] = bi;
        }
        else
        {
            float acc = 0f;
            for (int j = 0; j < s.N; j++) acc += x[b + (long)j * s.Inner];
            y[t] = op == (int)ReduceOp.Mean ? acc / s.N : acc;
        }
    }

    /// <summary>First pass of a split strided sum: thread t sums rows [c * len, (c + 1) * len) of output
    /// t % (Outer * Inner), c = t / (Outer * Inner), into partial[t].</summary>
    [GpuKernel]
    public static void StridedPartialKernel(Index1D t, ArrayView<float> x, ArrayView<float> partial, AxisShape s, int chunkLength)
    {
        int outputs = s.Outer * s.Inner, c = t / outputs, u = t - c * outputs, o = u / s.Inner, i = u - o * s.Inner;
        int j0 = c * chunkLength, j1 = j0 + chunkLength;
        if (j1 > s.N) j1 = s.N;
        long b = (long)o * s.N * s.Inner + i;
        float acc = 0f;
        for (int j = j0; j < j1; j++) acc += x[b + (long)j * s.Inner];
        partial[t] = acc;
    }

    /// <summary>Second pass: y[u] = scale * sum over c of partial[c * outputs + u], in chunk order (deterministic).</summary>
    [GpuKernel]
    public static void SumPartialsKernel(Index1D u, ArrayView<float> partial, ArrayView<float> y, int chunks, int outputs, float scale)
    {
        float acc = 0f;
        for (int c = 0; c < chunks; c++) acc += partial[(long)c * outputs + u];
        y[u] = acc * scale;
    }

    /// <summary>Threads a sum over <paramref name="length"/> elements per output should be split across so that few
    /// outputs still fill the GPU (a bias gradient: 768 outputs of 3,880 rows each ran on 768 threads at 14 GB/s):
    /// enough chunks for ~64K threads, each chunk at least 32 long. 1 = no split.</summary>
    internal static int ChunksFor(long outputs, long length)
    {
        const long TargetThreads = 65536, MinChunk = 32;
        if (outputs >= TargetThreads || length < 2 * MinChunk) return 1;
        long chunks = Math.Min((TargetThreads + outputs - 1) / outputs, length / MinChunk);
        return (int)Math.Max(1, Math.Min(chunks, 1024));
    }

    internal static void SumPartials(GpuDevice dev, ArrayView<float> partial, int chunks, int outputs, float scale, ArrayView<float> y) =>
        dev.Auto<ArrayView<float>, ArrayView<float>, int, int, float>(SumPartialsKernel)(outputs, partial, y, chunks, outputs, scale);

    /// <summary>gx (o, j, i) = g(o, i) * scale (sum: 1, mean: 1/N).</summary>
    [GpuKernel]
    public static void BroadcastBackwardKernel(Index1D e, ArrayView<float> g, ArrayView<float> gx, AxisShape s, float scale)
    {
        int i = e % s.Inner, o = e / (s.N * s.Inner);
        gx[e] = g[(long)o * s.Inner + i] * scale;
    }

    /// <summary>gx (zeroed beforehand) gets g at each output's argmax.</summary>
    [GpuKernel]
    public static void MaxBackwardKernel(Index1D t, ArrayView<float> g, ArrayView<long> idx, ArrayView<float> gx, AxisShape s)
    {
        int o = t / s.Inner, i = t % s.Inner;
        long j = idx[t];
        if (j < 0 || j >= s.N) return;
        gx[((long)o * s.N + j) * s.Inner + i] += g[t];
    }

    // ---------------------------------------------------------------- launch API

    /// <summary>y [Outer, Inner] = reduce over N of contiguous x [Outer, N, Inner]; idx (I64, same size as y) gets
    /// the index of the first maximum for Max (pass any view of &gt;= 1 element otherwise).</summary>
    public static void Axis(GpuDevice dev, ReduceOp op, ArrayView<float> x, AxisShape s, ArrayView<float> y, ArrayView<long> idx)
    {
        Check.Positive(s.N, "reduced axis size");
        Check.Fits(x, s.Count, "x");
        long outputs = (long)s.Outer * s.Inner;
        Check.Fits(y, outputs, "y");
        if (op == ReduceOp.Max) Check.Fits(idx, outputs, "indices");
        else if (idx.Length == 0) throw new ArgumentException("Pass a non-empty (unused) index view for sum/mean.");
        if (outputs == 0) return;
        if (s.Inner == 1)
            dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<long>, AxisShape, int>(RowKernel)(
                new KernelConfig(s.Outer, RowThreads(s.N)), x, y, idx, s, (int)op);
        else if (op != ReduceOp.Max && ChunksFor(outputs, s.N) is var chunks && chunks > 1)
        {
            int chunkLength = (s.N + chunks - 1) / chunks;
            using var partial = dev.Rent<float>(chunks * outputs);
            dev.Auto<ArrayView<float>, ArrayView<float>, AxisShape, int>(StridedPartialKernel)(Check.ToInt(chunks * outputs, "partial sums"), x, partial.View, s, chunkLength);
            SumPartials(dev, partial.View, chunks, (int)outputs, op == ReduceOp.Mean ? 1f / s.N : 1f, y);
        }
        else
            dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<long>, AxisShape, int>(StridedKernel)(Check.ToInt(outputs, "outputs"), x, y, idx, s, (int)op);
    }

    /// <summary>Sum of all n elements of x into y[0].</summary>
    public static void All(GpuDevice dev, ReduceOp op, ArrayView<float> x, long n, ArrayView<float> y, ArrayView<long> idx) =>
        Axis(dev, op, x, new AxisShape { Outer = 1, N = Check.ToInt(n, "elements"), Inner = 1 }, y, idx);

    public static void AxisBackward(GpuDevice dev, ReduceOp op, ArrayView<float> g, ArrayView<long> idx, AxisShape s, ArrayView<float> gx)
    {
        long outputs = (long)s.Outer * s.Inner;
        Check.Fits(g, outputs, "grad"); Check.Fits(gx, s.Count, "grad_x");
        if (s.Count == 0) return;
        if (op == ReduceOp.Max)
        {
            Check.Fits(idx, outputs, "indices");
            gx.SubView(0, s.Count).MemSetToZero(dev.Stream);
            dev.Auto<ArrayView<float>, ArrayView<long>, ArrayView<float>, AxisShape>(MaxBackwardKernel)(Check.ToInt(outputs, "outputs"), g, idx, gx, s);
        }
        else
        {
            dev.Auto<ArrayView<float>, ArrayView<float>, AxisShape, float>(BroadcastBackwardKernel)(
                Check.ToInt(s.Count, "elements"), g, gx, s, op == ReduceOp.Mean ? 1f / s.N : 1f);
        }
    }

    /// <summary>Threads for a row kernel: a power of two up to 256, no more than the row needs.</summary>
    internal static int RowThreads(int n)
    {
        int t = 32;
        while (t < GroupReduce.MaxThreads && t < n) t *= 2;
        return t;
    }
}
