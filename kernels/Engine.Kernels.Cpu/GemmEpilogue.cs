using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>Work the GEMM drivers apply to C once a block of it is final (every K block accumulated), while the block
/// is still in cache: a Linear layer's bias, activation and residual add without another pass over memory.
/// Structs, so the drivers are specialised per epilogue and <see cref="NoEpilogue"/> costs nothing.</summary>
public unsafe interface IGemmEpilogue
{
    /// <summary>Called once for every element of C, in rectangles: <paramref name="c"/> points at element
    /// (row0, col0) of C, rows x cols of it with leading dimension ldc. Rectangles of one product may be processed
    /// concurrently on different threads (they never overlap).</summary>
    void Apply(float* c, int ldc, int row0, int rows, int col0, int cols);

    /// <summary>A hint that <see cref="Apply"/> will soon be called on the rectangle (row0, col0, rows x cols): an
    /// epilogue that reads other memory there (a residual) starts fetching it, so it arrives while the micro-kernel
    /// computes the tile instead of stalling the epilogue afterwards. May do nothing; must not write.</summary>
    void Prefetch(int row0, int rows, int col0, int cols);

    /// <summary>Whether <see cref="Apply(Vector256{float}, int, int)"/> gives exactly what the rectangle form gives for
    /// those 8 elements. The shared-A driver then applies the epilogue to the micro-kernel's accumulators before they
    /// are stored, instead of reading the finished tile back from C.</summary>
    bool InRegisters { get; }

    /// <summary>The epilogue of the 8 elements (row, col .. col + 7) of C whose final value is <paramref name="v"/>;
    /// returns what C holds there afterwards. Used only when <see cref="InRegisters"/>; each element goes through
    /// exactly one of the two forms.</summary>
    Vector256<float> Apply(Vector256<float> v, int row, int col);

    /// <summary><see cref="Apply(Vector256{float}, int, int)"/> for the 16 elements (row, col .. col + 15), used by the
    /// AVX-512 micro-kernel; the same arithmetic per element.</summary>
    Vector512<float> Apply(Vector512<float> v, int row, int col);
}

/// <summary>The plain product.</summary>
public readonly unsafe struct NoEpilogue : IGemmEpilogue
{
    public void Apply(float* c, int ldc, int row0, int rows, int col0, int cols) { }
    public void Prefetch(int row0, int rows, int col0, int cols) { }
    public bool InRegisters => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(Vector256<float> v, int row, int col) => v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v, int row, int col) => v;
}
