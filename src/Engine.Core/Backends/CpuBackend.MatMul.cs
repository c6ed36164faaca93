namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda,
                     Storage b, long bOffset, int ldb, float beta, Storage c, long cOffset, int ldc)
        => Sgemm(transA, transB, m, n, k, alpha, F(a), (int)aOffset, lda, F(b), (int)bOffset, ldb, beta, F(c), (int)cOffset, ldc);

    public void GemmBatched(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda, long strideA,
                            Storage b, long bOffset, int ldb, long strideB, float beta, Storage c, long cOffset, int ldc, long strideC, int batch)
    {
        var aa = F(a); var ba = F(b); var ca = F(c);
        long flops = (long)m * n * k;
        if (batch > 1 && flops < (1 << 20))
        {
            // Many small products (attention heads): one product per task, each serial.
            Parallel.For(0, batch, i => NaiveKernels.SgemmSerial(transA, transB, m, n, k, alpha, aa, (int)(aOffset + i * strideA), lda,
                ba, (int)(bOffset + i * strideB), ldb, beta, ca, (int)(cOffset + i * strideC), ldc));
            return;
        }
        for (int i = 0; i < batch; i++)
            Sgemm(transA, transB, m, n, k, alpha, aa, (int)(aOffset + i * strideA), lda, ba, (int)(bOffset + i * strideB), ldb,
                  beta, ca, (int)(cOffset + i * strideC), ldc);
    }

    /// <summary>The GEMM the CPU backend uses (switches to the packed kernel from Engine.Kernels.Cpu when present).</summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                               float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc)
        => NaiveKernels.Sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
}
