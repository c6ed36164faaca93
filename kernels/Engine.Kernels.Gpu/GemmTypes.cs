namespace Engine.Kernels.Gpu;

/// <summary>Which arithmetic a GEMM uses. Fp32 is the exact reference path; the tensor-core path rounds inputs to
/// TF32 (10-bit mantissa) and accumulates in fp32, so results differ by about 1e-3 relative.</summary>
public enum GemmPrecision
{
    Fp32,
    Tf32TensorCore,
}

/// <summary>
/// Two-level batch of a batched GEMM: batch index b runs over Outer x Inner; operand X of batch b starts at
/// offX + (b / Inner) * X1 + (b % Inner) * X2. This covers [B, H] attention-style batches with arbitrary strides and
/// conv groups, with stride 0 for a broadcast operand.
/// </summary>
public readonly record struct GemmBatch(int Outer, int Inner, long A1, long A2, long B1, long B2, long C1, long C2)
{
    public static readonly GemmBatch Single = new(1, 1, 0, 0, 0, 0, 0, 0);

    /// <summary>A plain batch of <paramref name="count"/> with one stride per operand.</summary>
    public static GemmBatch Strided(int count, long strideA, long strideB, long strideC) => new(count, 1, strideA, 0, strideB, 0, strideC, 0);

    public int Count => Outer * Inner;
}

/// <summary>Scalar kernel parameters of a GEMM launch (row-major operands).</summary>
public struct GemmParams
{
    public int M, N, K, Lda, Ldb, Ldc, TransA, TransB, BatchInner;
    public float Alpha, Beta;
    public long OffA, OffB, OffC, A1, A2, B1, B2, C1, C2;
}
