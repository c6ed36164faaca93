using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>Index kernels over contiguous [outer, n, inner] with I32 indices on the device: index-select and its
/// adjoint index-add, gather along an axis and its adjoint scatter-add (float atomics: repeated indices add).
/// Indices are validated on the host before upload (<see cref="UploadIndices"/>).</summary>
public static class Indexing
{
    public struct Shape
    {
        public int Outer, N, Inner, M;
    }

    /// <summary>y[o, j, i] = x[o, index[j], i], j &lt; M.</summary>
    [GpuKernel]
    public static void IndexSelectKernel(Index1D e, ArrayView<float> x, ArrayView<int> index, ArrayView<float> y, Shape s)
    {
        int i = e % s.Inner, j = (e / s.Inner) % s.M, o = e / (s.Inner * s.M);
        y[e] = x[((long)o * s.N + index[j]) * s.Inner + i];
    }

    [GpuKernel]
    public static void IndexAddKernel(Index1D e, ArrayView<float> g, ArrayView<int> index, ArrayView<float> gx, Shape s)
    {
        int i = e % s.Inner, j = (e / s.Inner) % s.M, o = e / (s.Inner * s.M);
        Atomic.Add(ref gx[((long)o * s.N + index[j]) * s.Inner + i], g[e]);
    }

    /// <summary>y[o, j, i] = x[o, index[o, j, i], i].</summary>
    [GpuKernel]
    public static void GatherKernel(Index1D e, ArrayView<float> x, ArrayView<int> index, ArrayView<float> y, Shape s)
    {
        int i = e % s.Inner, o = e / (s.Inner * s.M);
        y[e] = x[((long)o * s.N + index[e]) * s.Inner + i];
    }

    [GpuKernel]
    public static void ScatterAddKernel(Index1D e, ArrayView<float> g, ArrayView<int> index, ArrayView<float> gx, Shape s)
    {
        int i = e % s.Inner, o = e / (s.Inner * s.M);
        Atomic.Add(ref gx[((long)o * s.N + index[e]) * s.Inner + i], g[e]);
    }

    /// <summary>Copies host indices to a rented device buffer after checking each lies in [0, n).</summary>
    public static DeviceBuffer<int> UploadIndices(GpuDevice dev, ReadOnlySpan<int> index, int n, string what)
    {
        for (int k = 0; k < index.Length; k++)
            if ((uint)index[k] >= (uint)n) throw new ArgumentException($"{what}: index {index[k]} at position {k} is outside [0, {n}).");
        return dev.Upload(index);
    }

    private static long Count(Shape s) => (long)s.Outer * s.M * s.Inner;

    public static void IndexSelect(GpuDevice dev, ArrayView<float> x, ArrayView<int> index, ArrayView<float> y, Shape s)
    {
        Check.Fits(x, (long)s.Outer * s.N * s.Inner, "x"); Check.Fits(index, s.M, "index"); Check.Fits(y, Count(s), "y");
        if (Count(s) == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<int>, ArrayView<float>, Shape>(IndexSelectKernel)(Check.ToInt(Count(s), "elements"), x, index, y, s);
    }

    public static void IndexAdd(GpuDevice dev, ArrayView<float> g, ArrayView<int> index, ArrayView<float> gx, Shape s)
    {
        Check.Fits(gx, (long)s.Outer * s.N * s.Inner, "grad_x"); Check.Fits(index, s.M, "index"); Check.Fits(g, Count(s), "grad");
        if (Count(s) == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<int>, ArrayView<float>, Shape>(IndexAddKernel)(Check.ToInt(Count(s), "elements"), g, index, gx, s);
    }

    public static void Gather(GpuDevice dev, ArrayView<float> x, ArrayView<int> index, ArrayView<float> y, Shape s)
    {
        Check.Fits(x, (long)s.Outer * s.N * s.Inner, "x"); Check.Fits(index, Count(s), "index"); Check.Fits(y, Count(s), "y");
        if (Count(s) == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<int>, ArrayView<float>, Shape>(GatherKernel)(Check.ToInt(Count(s), "elements"), x, index, y, s);
    }

    public static void ScatterAdd(GpuDevice dev, ArrayView<float> g, ArrayView<int> index, ArrayView<float> gx, Shape s)
    {
        Check.Fits(gx, (long)s.Outer * s.N * s.Inner, "grad_x"); Check.Fits(index, Count(s), "index"); Check.Fits(g, Count(s), "grad");
        if (Count(s) == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<int>, ArrayView<float>, Shape>(ScatterAddKernel)(Check.ToInt(Count(s), "elements"), g, index, gx, s);
    }
}
