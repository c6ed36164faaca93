using System.Numerics.Tensors;

namespace Engine.Backends;

/// <summary>Simple, obviously correct kernels: the fallback GEMM (row-parallel axpy / dot form) and the reference
/// the fast kernels are tested against.</summary>
public static class NaiveKernels
{
    /// <summary>Row-major C = alpha op(A) op(B) + beta C (same contract as Engine.Kernels.Cpu.Gemm.Sgemm).</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc)
    {
        if (m == 0 || n == 0) return;
        CpuParallel.For(m, (long)n * k, (r0, r1) => SgemmRows((int)r0, (int)r1, transA, transB, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc));
    }

    /// <summary>The same product on the calling thread only (for many small independent products).</summary>
    public static void SgemmSerial(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                   float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc)
        => SgemmRows(0, m, transA, transB, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);

    private static void SgemmRows(int r0, int r1, bool transA, bool transB, int n, int k, float alpha, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc)
    {
        Span<float> arow = k <= 1024 ? stackalloc float[k] : new float[k];
        for (int i = r0; i < r1; i++)
        {
            var crow = c.AsSpan(cOff + i * ldc, n);
            if (beta == 0f) crow.Clear(); else if (beta != 1f) TensorPrimitives.Multiply(crow, beta, crow);
            if (transA) for (int p = 0; p < k; p++) arow[p] = a[aOff + p * lda + i];
            else a.AsSpan(aOff + i * lda, k).CopyTo(arow);
            if (!transB)
            {
                for (int p = 0; p < k; p++)
                {
                    float s = alpha * arow[p];
                    if (s == 0f) continue;
                    TensorPrimitives.MultiplyAdd(b.AsSpan(bOff + p * ldb, n), s, crow, crow);
                }
            }
            else
            {
                for (int j = 0; j < n; j++)
                    crow[j] += alpha * TensorPrimitives.Dot(arow, b.AsSpan(bOff + j * ldb, k));
            }
        }
    }
}
