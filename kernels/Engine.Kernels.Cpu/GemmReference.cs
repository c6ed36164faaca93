namespace Engine.Kernels.Cpu;

/// <summary>Naive triple-loop GEMM with double accumulation: the reference every fast path is tested against.
/// Same argument convention as <see cref="Gemm.Sgemm"/>.</summary>
public static class GemmReference
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc)
    {
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double acc = 0;
            for (int p = 0; p < k; p++)
            {
                float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                acc += (double)av * bv;
            }
            ref float cv = ref c[cOff + i * ldc + j];
            cv = beta == 0 ? (float)(alpha * acc) : (float)(alpha * acc + (double)beta * cv);
        }
    }
}
