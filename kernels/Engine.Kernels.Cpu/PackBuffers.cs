using System.Runtime.InteropServices;

namespace Engine.Kernels.Cpu;

/// <summary>Per-thread, 64-byte aligned scratch memory for packed GEMM panels. Grows on demand and is reused by every
/// later call on the same thread, so hot paths allocate nothing. Freed by the finalizer when the thread dies.</summary>
internal sealed unsafe class PackBuffers
{
    [ThreadStatic] private static PackBuffers? _current;

    private float* _a, _b, _t, _s;
    private nuint _aLen, _bLen, _tLen, _sLen;

    public static PackBuffers Current => _current ??= new PackBuffers();

    public float* A(long floats) => Ensure(ref _a, ref _aLen, floats);
    public float* B(long floats) => Ensure(ref _b, ref _bLen, floats);
    /// <summary>Scratch for packers that stage data before packing (implicit im2col rows).</summary>
    public float* Temp(long floats) => Ensure(ref _t, ref _tLen, floats);

    /// <summary>A block this thread packs for other threads to read during one call (the multi-threaded GEMM's A).</summary>
    public float* Shared(long floats) => Ensure(ref _s, ref _sLen, floats);

    private static float* Ensure(ref float* p, ref nuint len, long floats)
    {
        if ((nuint)floats <= len) return p;
        if (p != null) NativeMemory.AlignedFree(p);
        nuint want = (nuint)Math.Max(floats, 4096);
        p = (float*)NativeMemory.AlignedAlloc(want * sizeof(float), 64);
        len = want;
        return p;
    }

    ~PackBuffers()
    {
        if (_a != null) NativeMemory.AlignedFree(_a);
        if (_b != null) NativeMemory.AlignedFree(_b);
        if (_t != null) NativeMemory.AlignedFree(_t);
        if (_s != null) NativeMemory.AlignedFree(_s);
    }
}
