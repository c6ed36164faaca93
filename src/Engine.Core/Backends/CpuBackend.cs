namespace Engine.Backends;

/// <summary>Host backend: SIMD kernels from Engine.Kernels.Cpu, parallel over cores.</summary>
public sealed partial class CpuBackend : IBackend
{
    public static readonly CpuBackend Instance = new();
    private CpuBackend() { }

    public Device Device => Device.Cpu;

    public Storage Allocate(DType dtype, long length, bool clear) => CpuStorage.Allocate(dtype, length, clear);

    public void CopyStrided(Storage src, long srcOffset, ReadOnlySpan<long> srcStrides, ReadOnlySpan<int> shape,
                            Storage dst, long dstOffset, ReadOnlySpan<long> dstStrides)
    {
        var s = (CpuStorage)src; var d = (CpuStorage)dst;
        if (s.DType != d.DType) throw new ArgumentException($"CopyStrided between {s.DType} and {d.DType}.");
        var ss = srcStrides.ToArray(); var sh = shape.ToArray(); var ds = dstStrides.ToArray();
        switch (s.DType)
        {
            case DType.F32: StridedCopy.Run(s.FloatArray, srcOffset, ss, sh, d.FloatArray, dstOffset, ds); break;
            case DType.I64: StridedCopy.Run(s.LongArray, srcOffset, ss, sh, d.LongArray, dstOffset, ds); break;
            case DType.I32: StridedCopy.Run(s.IntArray, srcOffset, ss, sh, d.IntArray, dstOffset, ds); break;
            default: StridedCopy.Run(s.ByteArray, srcOffset, ss, sh, d.ByteArray, dstOffset, ds); break;
        }
    }

    public void Upload(ReadOnlySpan<float> src, Storage dst, long dstOffset) => src.CopyTo(((CpuStorage)dst).Floats.Slice((int)dstOffset));

    public void Download(Storage src, long srcOffset, Span<float> dst) => ((CpuStorage)src).Floats.Slice((int)srcOffset, dst.Length).CopyTo(dst);
}

/// <summary>Generic strided copy; the innermost axis is a tight loop (block copy when both are unit-stride). Large
/// copies are split over the cores by outer rows.</summary>
internal static class StridedCopy
{
    public static void Run<T>(T[] src, long so, long[] ss, int[] shape, T[] dst, long dO, long[] ds)
    {
        int r = shape.Length;
        long n = Shape.Numel(shape);
        if (n == 0) return;
        if (r == 0) { dst[dO] = src[so]; return; }
        int inner = shape[r - 1];
        long outer = n / inner;
        CpuParallel.For(outer, inner, (o0, o1) => Rows(src, so, ss, shape, dst, dO, ds, o0, o1));
    }

    private static void Rows<T>(T[] src, long so, long[] ss, int[] shape, T[] dst, long dO, long[] ds, long o0, long o1)
    {
        int r = shape.Length;
        int inner = shape[r - 1];
        long sInner = ss[r - 1], dInner = ds[r - 1];
        Span<int> idx = stackalloc int[r];
        long rem = o0;
        for (int k = r - 2; k >= 0; k--) { idx[k] = (int)(rem % shape[k]); rem /= shape[k]; }
        for (long o = o0; o < o1; o++)
        {
            long sp = so, dp = dO;
            for (int k = 0; k < r - 1; k++) { sp += idx[k] * ss[k]; dp += idx[k] * ds[k]; }
            if (sInner == 1 && dInner == 1) Array.Copy(src, sp, dst, dp, inner);
            else for (int i = 0; i < inner; i++) dst[dp + i * dInner] = src[sp + i * sInner];
            for (int k = r - 2; k >= 0; k--) { if (++idx[k] < shape[k]) break; idx[k] = 0; }
        }
    }
}
