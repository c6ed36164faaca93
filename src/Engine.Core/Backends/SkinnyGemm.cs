using System.Runtime.Intrinsics;

namespace Engine.Backends;

/// <summary>
/// GEMM with very few rows of C (m &lt;= <see cref="MaxRows"/>, e.g. a short text prompt, a CLS token, FiLM vectors
/// through a Linear). There the packed GEMM spends most of its time packing B (the weight), which is read only m
/// times; these loops stream B once from its stored layout instead: op(B) = B^T (a PyTorch Linear weight [n, k])
/// takes dot products of A rows with B rows, op(B) = B ([k, n]) accumulates rows of B scaled by A elements.
/// Split over the cores by columns of C. Reference: <see cref="NaiveKernels"/>-style triple loop in the tests.
/// </summary>
internal static unsafe class SkinnyGemm
{
    public const int MaxRows = 16;

    /// <summary>True when <see cref="Run"/> handles the call (A not transposed, few rows, enough columns and depth).</summary>
    public static bool Applies(bool transA, int m, int n, int k)
        => !transA && m >= 1 && m <= MaxRows && n >= 16 && k >= 16 && Vector256.IsHardwareAccelerated;

    public static void Run(bool transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                           float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc)
    {
        long work = (long)m * n * k;
        int blockCols = transB ? 4 : 32;
        int blocks = (n + blockCols - 1) / blockCols;
        // Hand-offs cost more than they save below about a million multiply-adds per worker.
        int parts = (int)Math.Clamp(work >> 20, 1, Math.Min(blocks, CpuParallel.Workers));
        if (parts == 1) { Columns(transB, 0, n, m, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc); return; }
        Engine.Kernels.Cpu.KernelThreading.For(parts, part =>
        {
            int j0 = (int)((long)blocks * part / parts) * blockCols, j1 = Math.Min(n, (int)((long)blocks * (part + 1) / parts) * blockCols);
            if (j1 > j0) Columns(transB, j0, j1, m, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        });
    }

    private static void Columns(bool transB, int j0, int j1, int m, int k, float alpha, float[] a, int aOff, int lda,
                                float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (transB) DotColumns(j0, j1, m, k, alpha, pa + aOff, lda, pb + bOff, ldb, beta, pc + cOff, ldc);
            else AxpyColumns(j0, j1, m, k, alpha, pa + aOff, lda, pb + bOff, ldb, beta, pc + cOff, ldc);
        }
    }

    private static void Store(float* c, float v, float alpha, float beta) => *c = beta == 0f ? alpha * v : alpha * v + beta * *c;

    /// <summary>C[i, j] = alpha A[i,:] . B[j,:] + beta C[i, j] for j in [j0, j1): 2 rows of A x 4 rows of B per step.</summary>
    private static void DotColumns(int j0, int j1, int m, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        int j = j0;
        for (; j + 4 <= j1; j += 4)
        {
            float* b0 = b + (long)j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
            int i = 0;
            for (; i + 2 <= m; i += 2)
            {
                float* x0 = a + (long)i * lda, x1 = x0 + lda;
                Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;
                int p = 0;
                for (; p + 8 <= k; p += 8)
                {
                    var v0 = Vector256.Load(x0 + p); var v1 = Vector256.Load(x1 + p);
                    var w = Vector256.Load(b0 + p); s00 = Vector256.FusedMultiplyAdd(v0, w, s00); s10 = Vector256.FusedMultiplyAdd(v1, w, s10);
                    w = Vector256.Load(b1 + p); s01 = Vector256.FusedMultiplyAdd(v0, w, s01); s11 = Vector256.FusedMultiplyAdd(v1, w, s11);
                    w = Vector256.Load(b2 + p); s02 = Vector256.FusedMultiplyAdd(v0, w, s02); s12 = Vector256.FusedMultiplyAdd(v1, w, s12);
                    w = Vector256.Load(b3 + p); s03 = Vector256.FusedMultiplyAdd(v0, w, s03); s13 = Vector256.FusedMultiplyAdd(v1, w, s13);
                }
                float r00 = Vector256.Sum(s00), r01 = Vector256.Sum(s01), r02 = Vector256.Sum(s02), r03 = Vector256.Sum(s03);
                float r10 = Vector256.Sum(s10), r11 = Vector256.Sum(s11), r12 = Vector256.Sum(s12), r13 = Vector256.Sum(s13);
                for (; p < k; p++)
                {
                    float u0 = x0[p], u1 = x1[p];
                    r00 += u0 * b0[p]; r01 += u0 * b1[p]; r02 += u0 * b2[p]; r03 += u0 * b3[p];
                    r10 += u1 * b0[p]; r11 += u1 * b1[p]; r12 += u1 * b2[p]; r13 += u1 * b3[p];
                }
                float* c0 = c + (long)i * ldc + j, c1 = c0 + ldc;
                Store(c0, r00, alpha, beta); Store(c0 + 1, r01, alpha, beta); Store(c0 + 2, r02, alpha, beta); Store(c0 + 3, r03, alpha, beta);
                Store(c1, r10, alpha, beta); Store(c1 + 1, r11, alpha, beta); Store(c1 + 2, r12, alpha, beta); Store(c1 + 3, r13, alpha, beta);
            }
            for (; i < m; i++)
            {
                float* x0 = a + (long)i * lda;
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                int p = 0;
                for (; p + 8 <= k; p += 8)
                {
                    var v0 = Vector256.Load(x0 + p);
                    s0 = Vector256.FusedMultiplyAdd(v0, Vector256.Load(b0 + p), s0);
                    s1 = Vector256.FusedMultiplyAdd(v0, Vector256.Load(b1 + p), s1);
                    s2 = Vector256.FusedMultiplyAdd(v0, Vector256.Load(b2 + p), s2);
                    s3 = Vector256.FusedMultiplyAdd(v0, Vector256.Load(b3 + p), s3);
                }
                float r0 = Vector256.Sum(s0), r1 = Vector256.Sum(s1), r2 = Vector256.Sum(s2), r3 = Vector256.Sum(s3);
                for (; p < k; p++) { float u = x0[p]; r0 += u * b0[p]; r1 += u * b1[p]; r2 += u * b2[p]; r3 += u * b3[p]; }
                float* c0 = c + (long)i * ldc + j;
                Store(c0, r0, alpha, beta); Store(c0 + 1, r1, alpha, beta); Store(c0 + 2, r2, alpha, beta); Store(c0 + 3, r3, alpha, beta);
            }
        }
        for (; j < j1; j++)
        {
            float* bj = b + (long)j * ldb;
            for (int i = 0; i < m; i++)
            {
                float* x0 = a + (long)i * lda;
                Vector256<float> s = default;
                int p = 0;
                for (; p + 8 <= k; p += 8) s = Vector256.FusedMultiplyAdd(Vector256.Load(x0 + p), Vector256.Load(bj + p), s);
                float r = Vector256.Sum(s);
                for (; p < k; p++) r += x0[p] * bj[p];
                Store(c + (long)i * ldc + j, r, alpha, beta);
            }
        }
    }

    /// <summary>C[i, j0:j1] = alpha sum_p A[i, p] B[p, j0:j1] + beta C: 32 columns x 2 rows of accumulators per pass.</summary>
    private static void AxpyColumns(int j0, int j1, int m, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        var va = Vector256.Create(alpha); var vb = Vector256.Create(beta);
        int j = j0;
        for (; j + 32 <= j1; j += 32)
        {
            int i = 0;
            for (; i + 2 <= m; i += 2)
            {
                float* x0 = a + (long)i * lda, x1 = x0 + lda;
                Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;
                for (int p = 0; p < k; p++)
                {
                    float* bp = b + (long)p * ldb + j;
                    var u0 = Vector256.Create(x0[p]); var u1 = Vector256.Create(x1[p]);
                    var w0 = Vector256.Load(bp); var w1 = Vector256.Load(bp + 8); var w2 = Vector256.Load(bp + 16); var w3 = Vector256.Load(bp + 24);
                    s00 = Vector256.FusedMultiplyAdd(u0, w0, s00); s01 = Vector256.FusedMultiplyAdd(u0, w1, s01);
                    s02 = Vector256.FusedMultiplyAdd(u0, w2, s02); s03 = Vector256.FusedMultiplyAdd(u0, w3, s03);
                    s10 = Vector256.FusedMultiplyAdd(u1, w0, s10); s11 = Vector256.FusedMultiplyAdd(u1, w1, s11);
                    s12 = Vector256.FusedMultiplyAdd(u1, w2, s12); s13 = Vector256.FusedMultiplyAdd(u1, w3, s13);
                }
                float* c0 = c + (long)i * ldc + j, c1 = c0 + ldc;
                StoreRow(c0, s00, s01, s02, s03, va, vb, beta);
                StoreRow(c1, s10, s11, s12, s13, va, vb, beta);
            }
            for (; i < m; i++)
            {
                float* x0 = a + (long)i * lda;
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (int p = 0; p < k; p++)
                {
                    float* bp = b + (long)p * ldb + j;
                    var u0 = Vector256.Create(x0[p]);
                    s0 = Vector256.FusedMultiplyAdd(u0, Vector256.Load(bp), s0); s1 = Vector256.FusedMultiplyAdd(u0, Vector256.Load(bp + 8), s1);
                    s2 = Vector256.FusedMultiplyAdd(u0, Vector256.Load(bp + 16), s2); s3 = Vector256.FusedMultiplyAdd(u0, Vector256.Load(bp + 24), s3);
                }
                StoreRow(c + (long)i * ldc + j, s0, s1, s2, s3, va, vb, beta);
            }
        }
        for (; j < j1; j++)
            for (int i = 0; i < m; i++)
            {
                float* x0 = a + (long)i * lda;
                float r = 0f;
                for (int p = 0; p < k; p++) r += x0[p] * b[(long)p * ldb + j];
                Store(c + (long)i * ldc + j, r, alpha, beta);
            }
    }

    private static void StoreRow(float* c, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3,
                                 Vector256<float> va, Vector256<float> vb, float beta)
    {
        if (beta == 0f)
        {
            (s0 * va).Store(c); (s1 * va).Store(c + 8); (s2 * va).Store(c + 16); (s3 * va).Store(c + 24);
        }
        else
        {
            Vector256.FusedMultiplyAdd(Vector256.Load(c), vb, s0 * va).Store(c);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), vb, s1 * va).Store(c + 8);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 16), vb, s2 * va).Store(c + 16);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 24), vb, s3 * va).Store(c + 24);
        }
    }
}
