using Engine.Kernels.Cpu;

namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda,
                     Storage b, long bOffset, int ldb, float beta, Storage c, long cOffset, int ldc)
    {
        if (SkinnyGemm.Applies(transA, m, n, k) && alpha != 0f)
        {
            // Few rows: stream the weight once instead of packing it (see SkinnyGemm).
            CheckSkinny(m, n, k, a, aOffset, lda, b, bOffset, ldb, transB, c, cOffset, ldc);
            SkinnyGemm.Run(transB, m, n, k, alpha, F(a), (int)aOffset, lda, F(b), (int)bOffset, ldb, beta, F(c), (int)cOffset, ldc);
            return;
        }
        Kernels.Cpu.Gemm.Sgemm(transA, transB, m, n, k, alpha, F(a), (int)aOffset, lda, F(b), (int)bOffset, ldb, beta, F(c), (int)cOffset, ldc);
    }

    /// <summary>The bounds checks Sgemm does, for the row-few path (it uses unchecked pointers).</summary>
    private static void CheckSkinny(int m, int n, int k, Storage a, long aOff, int lda, Storage b, long bOff, int ldb, bool transB, Storage c, long cOff, int ldc)
    {
        static void Fits(string name, Storage s, long off, int ld, int rows, int cols)
        {
            if (off < 0 || ld < cols || off + (long)(rows - 1) * ld + cols > s.Length)
                throw new ArgumentException($"Gemm: {name} ({rows}x{cols}, ld {ld}, offset {off}) does not fit its storage of {s.Length} elements.");
        }
        Fits("A", a, aOff, lda, m, k);
        if (transB) Fits("B", b, bOff, ldb, n, k); else Fits("B", b, bOff, ldb, k, n);
        Fits("C", c, cOff, ldc, m, n);
    }

    public void GemmBatched(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda, long strideA,
                            Storage b, long bOffset, int ldb, long strideB, float beta, Storage c, long cOffset, int ldc, long strideC, int batch)
    {
        if (batch == 1) { Gemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc); return; }
        Kernels.Cpu.Gemm.SgemmBatched(transA, transB, m, n, k, alpha, F(a), (int)aOffset, lda, F(b), (int)bOffset, ldb, beta,
                                         F(c), (int)cOffset, ldc, batch, strideA, strideB, strideC);
    }
}
