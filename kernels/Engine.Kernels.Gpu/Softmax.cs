using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>Softmax and log-softmax over one axis of a contiguous [Outer, N, Inner] tensor, forward and backward;
/// one group per (outer, inner) row.</summary>
public static class Softmax
{
    [GpuKernel(ExplicitlyGrouped = true)]
    public static void ForwardKernel(ArrayView<float> x, ArrayView<float> y, AxisShape s, int log)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.MaxThreads);
        int row = Grid.IdxX, tid = Group.IdxX, nt = Group.DimX;
        int o = row / s.Inner, i = row % s.Inner;
        long b = (long)o * s.N * s.Inner + i;
        float m = GpuMath.NegInf;
        for (int j = tid; j < s.N; j += nt) m = GpuMath.Max(m, x[b + (long)j * s.Inner]);
        m = GroupReduce.Max(m, scratch);
        float sum = 0f;
        for (int j = tid; j < s.N; j += nt) sum += GpuMath.Exp(x[b + (long)j * s.Inner] - m);
        sum = GroupReduce.Sum(sum, scratch);
        if (log != 0)
        {
            float lse = m + GpuMath.Log(sum);
            for (int j = tid; j < s.N; j += nt) y[b + (long)j * s.Inner] = x[b + (long)j * s.Inner] - lse;
        }
        else
        {
            float inv = 1f / sum;
            for (int j = tid; j < s.N; j += nt) y[b + (long)j * s.Inner] = GpuMath.Exp(x[b + (long)j * s.Inner] - m) * inv;
        }
    }

    /// <summary>softmax: gx = y (g - sum(g y)); log-softmax: gx = g - exp(y) sum(g).</summary>
    [GpuKernel(ExplicitlyGrouped = true)]
    public static void BackwardKernel(ArrayView<float> y, ArrayView<float> g, ArrayView<float> gx, AxisShape s, int log)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.MaxThreads);
        int row = Grid.IdxX, tid = Group.IdxX, nt = Group.DimX;
        int o = row / s.Inner, i = row % s.Inner;
        long b = (long)o * s.N * s.Inner + i;
        float dot = 0f;
        for (int j = tid; j < s.N; j += nt)
        {
            long e = b + (long)j * s.Inner;
            dot += log != 0 ? g[e] : g[e] * y[e];
        }
        dot = GroupReduce.Sum(dot, scratch);
        for (int j = tid; j < s.N; j += nt)
        {
            long e = b + (long)j * s.Inner;
            gx[e] = log != 0 ? g[e] - GpuMath.Exp(y[e]) * dot : y[e] * (g[e] - dot);
        }
    }

    public static void Forward(GpuDevice dev, ArrayView<float> x, ArrayView<float> y, AxisShape s, bool log)
    {
        Check.Fits(x, s.Count, "x"); Check.Fits(y, s.Count, "y");
        if (s.Count == 0) return;
        dev.Grouped<ArrayView<float>, ArrayView<float>, AxisShape, int>(ForwardKernel)(
            new KernelConfig(Check.ToInt((long)s.Outer * s.Inner, "rows"), Reduce.RowThreads(s.N)), x, y, s, log ? 1 : 0);
    }

    public static void Backward(GpuDevice dev, ArrayView<float> y, ArrayView<float> g, ArrayView<float> gx, AxisShape s, bool log)
    {
        Check.Fits(y, s.Count, "y"); Check.Fits(g, s.Count, "grad"); Check.Fits(gx, s.Count, "grad_x");
        if (s.Count == 0) return;
        dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, AxisShape, int>(BackwardKernel)(
            new KernelConfig(Check.ToInt((long)s.Outer * s.Inner, "rows"), Reduce.RowThreads(s.N)), y, g, gx, s, log ? 1 : 0);
    }
}
