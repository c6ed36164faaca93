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
        switch (s.DType)
        {
            case DType.F32: StridedCopy.Run<float>(s.Floats, srcOffset, srcStrides, shape, d.Floats, dstOffset, dstStrides); break;
            case DType.I64: StridedCopy.Run<long>(s.Longs, srcOffset, srcStrides, shape, d.Longs, dstOffset, dstStrides); break;
            case DType.I32: StridedCopy.Run<int>(s.Ints, srcOffset, srcStrides, shape, d.Ints, dstOffset, dstStrides); break;
            default: StridedCopy.Run<byte>(s.Bytes, srcOffset, srcStrides, shape, d.Bytes, dstOffset, dstStrides); break;
        }
    }

    public void Upload(ReadOnlySpan<float> src, Storage dst, long dstOffset) => src.CopyTo(((CpuStorage)dst).Floats.Slice((int)dstOffset));

    public void Download(Storage src, long srcOffset, Span<float> dst) => ((CpuStorage)src).Floats.Slice((int)srcOffset, dst.Length).CopyTo(dst);
}

/// <summary>Generic strided copy; the innermost axis is a tight loop (block copy when both are unit-stride).</summary>
internal static class StridedCopy
{
    public static void Run<T>(Span<T> src, long so, ReadOnlySpan<long> ss, ReadOnlySpan<int> shape, Span<T> dst, long dO, ReadOnlySpan<long> ds)
    {
        int r = shape.Length;
        long n = Shape.Numel(shape);
        if (n == 0) return;
        if (r == 0) { dst[(int)dO] = src[(int)so]; return; }
        int inner = shape[r - 1];
        long sInner = ss[r - 1], dInner = ds[r - 1];
        long outer = n / inner;
        Span<int> idx = stackalloc int[r];
        for (long o = 0; o < outer; o++)
        {
            long sp = so, dp = dO;
            for (int k = 0; k < r - 1; k++) { sp += idx[k] * ss[k]; dp += idx[k] * ds[k]; }
            if (sInner == 1 && dInner == 1) src.Slice((int)sp, inner).CopyTo(dst.Slice((int)dp, inner));
            else for (int i = 0; i < inner; i++) dst[(int)(dp + i * dInner)] = src[(int)(sp + i * sInner)];
            for (int k = r - 2; k >= 0; k--) { if (++idx[k] < shape[k]) break; idx[k] = 0; }
        }
    }
}
