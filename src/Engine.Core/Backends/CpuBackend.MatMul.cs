using Engine.Kernels.Cpu;

namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda,
                     Storage b, long bOffset, int ldb, float beta, Storage c, long cOffset, int ldc)
        => Kernels.Cpu.Gemm.Sgemm(transA, transB, m, n, k, alpha, F(a), (int)aOffset, lda, F(b), (int)bOffset, ldb, beta, F(c), (int)cOffset, ldc);

    public void GemmBatched(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda, long strideA,
                            Storage b, long bOffset, int ldb, long strideB, float beta, Storage c, long cOffset, int ldc, long strideC, int batch)
        => Kernels.Cpu.Gemm.SgemmBatched(transA, transB, m, n, k, alpha, F(a), (int)aOffset, lda, F(b), (int)bOffset, ldb, beta,
                                         F(c), (int)cOffset, ldc, batch, strideA, strideB, strideC);
}
