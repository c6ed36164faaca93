using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>Per-channel building blocks of batch norm over contiguous [batch, channels, spatial] (the split the core
/// backend interface uses): statistics, affine apply, gradient sums. One group per channel for the reductions.</summary>
public static class ChannelOps
{
    public struct Shape
    {
        public int Batch, Channels, Spatial;
    }

    private static long Index(Shape s, int c, long e) => ((e / s.Spatial) * s.Channels + c) * s.Spatial + e % s.Spatial;

    /// <summary>mean[c] and biased var[c] (two passes over the channel).</summary>
    [GpuKernel(ExplicitlyGrouped = true)]
    public static void StatsKernel(ArrayView<float> x, ArrayView<float> mean, ArrayView<float> var, Shape s)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.MaxThreads);
        int c = Grid.IdxX, tid = Group.IdxX, nt = Group.DimX;
        long m = (long)s.Batch * s.Spatial;
        float acc = 0f;
        for (long e = tid; e < m; e += nt) acc += x[Index(s, c, e)];
        float mu = GroupReduce.Sum(acc, scratch) / m;
        float v = 0f;
        for (long e = tid; e < m; e += nt) { float d = x[Index(s, c, e)] - mu; v += d * d; }
        v = GroupReduce.Sum(v, scratch) / m;
        if (tid == 0) { mean[c] = mu; var[c] = v; }
    }

    [GpuKernel]
    public static void AffineKernel(Index1D e, ArrayView<float> x, ArrayView<float> scale, ArrayView<float> shift, ArrayView<float> y, Shape s)
    {
        int c = (int)((e / s.Spatial) % s.Channels);
        y[e] = x[e] * scale[c] + shift[c];
    }

    /// <summary>sumGy[c] = sum gy, sumGyX[c] = sum gy * x.</summary>
    [GpuKernel(ExplicitlyGrouped = true)]
    public static void GradSumsKernel(ArrayView<float> x, ArrayView<float> gy, ArrayView<float> sumGy, ArrayView<float> sumGyX, Shape s)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.MaxThreads);
        int c = Grid.IdxX, tid = Group.IdxX, nt = Group.DimX;
        long m = (long)s.Batch * s.Spatial;
        float a = 0f, b = 0f;
        for (long e = tid; e < m; e += nt) { long k = Index(s, c, e); a += gy[k]; b += gy[k] * x[k]; }
        a = GroupReduce.Sum(a, scratch);
        b = GroupReduce.Sum(b, scratch);
        if (tid == 0) { sumGy[c] = a; sumGyX[c] = b; }
    }

    private static long Count(Shape s) => (long)s.Batch * s.Channels * s.Spatial;
    private static int Threads(Shape s) => Reduce.RowThreads((int)Math.Min(int.MaxValue, (long)s.Batch * s.Spatial));

    public static void Stats(GpuDevice dev, ArrayView<float> x, Shape s, ArrayView<float> mean, ArrayView<float> var)
    {
        Check.Positive(s.Channels, "channels"); Check.Fits(x, Count(s), "x"); Check.Fits(mean, s.Channels, "mean"); Check.Fits(var, s.Channels, "var");
        if ((long)s.Batch * s.Spatial == 0) throw new ArgumentException("Channel statistics of an empty batch.");
        dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, Shape>(StatsKernel)(new KernelConfig(s.Channels, Threads(s)), x, mean, var, s);
    }

    public static void Affine(GpuDevice dev, ArrayView<float> x, Shape s, ArrayView<float> scale, ArrayView<float> shift, ArrayView<float> y)
    {
        Check.Fits(x, Count(s), "x"); Check.Fits(y, Count(s), "y"); Check.Fits(scale, s.Channels, "scale"); Check.Fits(shift, s.Channels, "shift");
        if (Count(s) == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Shape>(AffineKernel)(Check.ToInt(Count(s), "elements"), x, scale, shift, y, s);
    }

    public static void GradSums(GpuDevice dev, ArrayView<float> x, ArrayView<float> gy, Shape s, ArrayView<float> sumGy, ArrayView<float> sumGyX)
    {
        Check.Positive(s.Channels, "channels"); Check.Fits(x, Count(s), "x"); Check.Fits(gy, Count(s), "grad");
        Check.Fits(sumGy, s.Channels, "sum_gy"); Check.Fits(sumGyX, s.Channels, "sum_gy_x");
        if ((long)s.Batch * s.Spatial == 0) { sumGy.SubView(0, s.Channels).MemSetToZero(dev.Stream); sumGyX.SubView(0, s.Channels).MemSetToZero(dev.Stream); return; }
        dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Shape>(GradSumsKernel)(new KernelConfig(s.Channels, Threads(s)), x, gy, sumGy, sumGyX, s);
    }
}
