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
}

/// <summary>The plain product.</summary>
public readonly unsafe struct NoEpilogue : IGemmEpilogue
{
    public void Apply(float* c, int ldc, int row0, int rows, int col0, int cols) { }
    public void Prefetch(int row0, int rows, int col0, int cols) { }
}
