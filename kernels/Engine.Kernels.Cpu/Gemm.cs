using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>Single-precision GEMM on row-major arrays: C = alpha * op(A) * op(B) + beta * C, where op(A) is m x k and
/// op(B) is k x n. beta == 0 overwrites C (NaN/Inf already in C do not propagate). Packed, register-blocked and
/// multi-threaded (see <see cref="KernelThreading.MaxThreads"/>); a Vector512 micro-kernel where AVX-512 is
/// accelerated, a Vector256 one otherwise. The naive reference is <see cref="GemmReference"/>.</summary>
public static unsafe class Gemm
{
    /// <summary>Below this many multiply-adds a call stays on one thread: scheduling would cost more than it saves.</summary>
    private const long ParallelThreshold = 1L << 21;

    /// <summary>Which micro-kernel the fast path uses; tests force each one on any hardware (Vector512 is emulated in
    /// software when not accelerated, so forcing it is for correctness only). The environment variable
    /// ENGINE_CPU_KERNEL=avx2|avx512 sets it for a whole process: a whole test run through the AVX-512 kernels on a
    /// machine without AVX-512, or the AVX2 kernels on one with it (to tell a kernel problem from a model problem).</summary>
    internal enum KernelChoice { Auto, Vector256, Vector512 }
    internal static KernelChoice ForcedKernel { get; set; } = KernelFromEnvironment(Environment.GetEnvironmentVariable("ENGINE_CPU_KERNEL"));

    internal static KernelChoice KernelFromEnvironment(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => KernelChoice.Auto,
        "avx2" or "vector256" => KernelChoice.Vector256,
        "avx512" or "vector512" => KernelChoice.Vector512,
        _ => throw new ArgumentException($"ENGINE_CPU_KERNEL='{value}' is not one of auto, avx2, avx512."),
    };

    internal static bool UseVector512 => ForcedKernel switch
    {
        KernelChoice.Vector512 => true,
        KernelChoice.Vector256 => false,
        _ => Vector512.IsHardwareAccelerated,
    };

    /// <summary>Name of the micro-kernel the fast path runs (for benchmark reports).</summary>
    public static string KernelName => UseVector512 ? "avx512-8x32" : "avx2-6x16";

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc)
        => SgemmBatched(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, 1, 0, 0, 0);

    /// <summary>batch independent GEMMs; matrix i uses offsets aOff + i*strideA, bOff + i*strideB, cOff + i*strideC.
    /// A stride of 0 broadcasts one operand over the batch (strideC must not be 0 when batch > 1).</summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc,
        int batch, long strideA, long strideB, long strideC)
    {
        Validate(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, batch, strideA, strideB, strideC);
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0 || alpha == 0)
        {
            for (int bi = 0; bi < batch; bi++) ScaleC(c, cOff + bi * strideC, m, n, ldc, beta);
            return;
        }

        long work = (long)m * n * k * batch;
        int threads = work < ParallelThreshold ? 1 : KernelThreading.MaxThreads;
        fixed (float* pa = a, pb = b, pc = c)
        {
            float* a0 = pa + aOff, b0 = pb + bOff, c0 = pc + cOff;
            // Whole matrices per thread when that balances (no redundant packing, no split bookkeeping).
            if (threads > 1 && (batch % threads == 0 || batch >= 4 * threads))
                BatchesInParallel(transA, transB, m, n, k, alpha, a0, lda, b0, ldb, beta, c0, ldc, batch, strideA, strideB, strideC, threads);
            else
                for (int bi = 0; bi < batch; bi++)
                    SplitOne(transA, m, n, k, alpha, a0 + bi * strideA, lda, new MatrixPackB(b0 + bi * strideB, ldb, transB),
                        beta, c0 + bi * strideC, ldc, threads, default(NoEpilogue));
        }
    }

    private static void BatchesInParallel(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, int batch, long strideA, long strideB, long strideC, int threads)
    {
        int parts = Math.Min(threads, batch);
        KernelThreading.For(parts, t =>
        {
            for (int bi = (int)((long)batch * t / parts); bi < (int)((long)batch * (t + 1) / parts); bi++)
                Region(transA, transB, 0, m, 0, n, k, alpha, a + bi * strideA, lda, b + bi * strideB, ldb, beta, c + bi * strideC, ldc);
        });
    }

    /// <summary>C = alpha * A * B + beta * C with B packed ahead of time (<see cref="PackedMatrixB"/>, e.g. an inference
    /// model's weight): the product reads B's panels in place. A is m x k row-major (not transposed).</summary>
    public static void SgemmPackedB(int m, int n, int k, float alpha, float[] a, int aOff, int lda, PackedMatrixB b,
        float beta, float[] c, int cOff, int ldc)
        => SgemmPackedB(m, n, k, alpha, a, aOff, lda, b, beta, c, cOff, ldc, default(NoEpilogue));

    /// <summary><see cref="SgemmPackedB(int, int, int, float, float[], int, int, PackedMatrixB, float, float[], int, int)"/>
    /// followed by <paramref name="epilogue"/> on every element of C (applied block by block as each block of C is
    /// final; <c>Apply</c> receives C positions relative to <paramref name="cOff"/>).</summary>
    public static void SgemmPackedB<TEpilogue>(int m, int n, int k, float alpha, float[] a, int aOff, int lda, PackedMatrixB b,
        float beta, float[] c, int cOff, int ldc, TEpilogue epilogue) where TEpilogue : struct, IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(a); ArgumentNullException.ThrowIfNull(b); ArgumentNullException.ThrowIfNull(c);
        if (b.K != k || b.N != n)
            throw new ArgumentException($"SgemmPackedB: the packed B is {b.K}x{b.N}, the product needs {k}x{n}.");
        if (!b.MatchesCurrentKernel)
            throw new InvalidOperationException("SgemmPackedB: B was packed for another micro-kernel or blocking; pack it again.");
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), $"SgemmPackedB: negative row count {m}.");
        if (m == 0) return;
        CheckOperand("A", a, aOff, lda, m, k, 1, 0);
        CheckOperand("C", c, cOff, ldc, m, n, 1, 0);
        if (n > 0 && k > 0) CheckDisjoint("A", a, aOff, lda, m, k, 1, 0, c, cOff, ldc, m, n, 0);
        fixed (float* pa = a, pc = c)
        {
            long work = (long)m * n * k;
            SplitOne(false, m, n, k, alpha, pa + aOff, lda, new PrepackedB(b), beta, pc + cOff, ldc,
                work < ParallelThreshold ? 1 : KernelThreading.MaxThreads, epilogue);
        }
    }

    /// <summary>C = alpha * op(A) * B + beta * C with B produced by a packer (e.g. implicit im2col), multi-threaded
    /// like <see cref="Sgemm"/>. No validation: callers check their own bounds.</summary>
    internal static void WithPacker<TPackB>(bool transA, int m, int n, int k, float alpha, float* a, int lda,
        TPackB packB, float beta, float* c, int ldc) where TPackB : struct, IGemmPackB
    {
        if (m == 0 || n == 0) return;
        long work = (long)m * n * k;
        SplitOne(transA, m, n, k, alpha, a, lda, packB, beta, c, ldc, work < ParallelThreshold ? 1 : KernelThreading.MaxThreads, default(NoEpilogue));
    }

    private static void SplitOne<TPackB, TEpilogue>(bool transA, int m, int n, int k, float alpha, float* a, int lda,
        TPackB b, float beta, float* c, int ldc, int threads, TEpilogue epilogue)
        where TPackB : struct, IGemmPackB where TEpilogue : struct, IGemmEpilogue
    {
        if (threads == 1)
        {
            Region(transA, 0, m, 0, n, k, alpha, a, lda, b, beta, c, ldc);
            epilogue.Apply(c, ldc, 0, m, 0, n);
        }
        else SplitParallel(transA, m, n, k, alpha, a, lda, b, beta, c, ldc, threads, epilogue);
    }

    /// <summary>Separate from SplitOne so the single-threaded path allocates no closure. Narrow products (too few
    /// column panels for dynamic chunks) split statically by rows or columns, whichever the cost model prefers.</summary>
    private static void SplitParallel<TPackB, TEpilogue>(bool transA, int m, int n, int k, float alpha, float* a, int lda,
        TPackB b, float beta, float* c, int ldc, int threads, TEpilogue epilogue)
        where TPackB : struct, IGemmPackB where TEpilogue : struct, IGemmEpilogue
    {
        if (GemmTuning.SplitOverride == 0 && m <= GemmTuning.SharedAMaxRows)
        {
            // Wide enough for column chunks: shared A, dynamic chunks (see GemmParallel). Taller products stream
            // the whole shared A once per chunk from L3, where a static split that keeps its rows in L2 wins.
            if (UseVector512 && GemmParallel<Kernel512x8x32>.Suits(n, threads))
            { GemmParallel<Kernel512x8x32>.Run(transA, m, n, k, alpha, a, lda, b, beta, c, ldc, threads, epilogue); return; }
            if (!UseVector512 && GemmParallel<Kernel256x6x16>.Suits(n, threads))
            { GemmParallel<Kernel256x6x16>.Run(transA, m, n, k, alpha, a, lda, b, beta, c, ldc, threads, epilogue); return; }
        }
        int nr = UseVector512 ? Kernel512x8x32.NR : Kernel256x6x16.NR;
        int mr = UseVector512 ? Kernel512x8x32.MR : Kernel256x6x16.MR;
        bool splitN = GemmTuning.SplitOverride == 0
            ? PreferColumnSplit(m, n, k, mr, nr, threads, transA ? GemmPacking.CopyCost : GemmPacking.TransposingCost, b.CostPerElement)
            : GemmTuning.SplitOverride == 1;
        int unit = splitN ? nr : mr;
        int extent = splitN ? n : m;
        int units = (extent + unit - 1) / unit;
        int parts = Math.Min(threads, units);
        KernelThreading.For(parts, t =>
        {
            int u0 = (int)((long)units * t / parts), u1 = (int)((long)units * (t + 1) / parts);
            int s = u0 * unit, e = Math.Min(extent, u1 * unit);
            if (splitN)
            {
                Region(transA, 0, m, s, e, k, alpha, a, lda, b, beta, c, ldc);
                epilogue.Apply(c + s, ldc, 0, m, s, e - s);
            }
            else
            {
                Region(transA, s, e, 0, n, k, alpha, a, lda, b, beta, c, ldc);
                epilogue.Apply(c + (long)s * ldc, ldc, s, e - s, 0, n);
            }
        });
    }

    /// <summary>Whether splitting C by columns beats splitting by rows: each worker packs all of A and its share of B
    /// (or the reverse), and works on its rounded-up share. Modelled cost per worker: multiply-adds plus the packing
    /// cost of each element it packs (a transposing pack costs several times a copy).</summary>
    private static bool PreferColumnSplit(int m, int n, int k, int mr, int nr, int threads, double aCost, double bCost)
    {
        double nShare = (double)(((n + nr - 1) / nr + threads - 1) / threads) * nr;
        double mShare = (double)(((m + mr - 1) / mr + threads - 1) / threads) * mr;
        double byColumns = (double)RoundUp(m, mr) * k * nShare + aCost * m * k + bCost * k * nShare;
        double byRows = mShare * k * RoundUp(n, nr) + aCost * mShare * k + bCost * k * n;
        return byColumns <= byRows;
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Unchecked single-threaded GEMM on raw pointers for other kernels' inner blocks (attention, conv):
    /// no validation, no scheduling. Same semantics as <see cref="Sgemm"/> with k > 0.</summary>
    internal static void Serial(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        Region(transA, transB, 0, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static void Region(bool transA, bool transB, int m0, int m1, int n0, int n1, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => Region(transA, m0, m1, n0, n1, k, alpha, a, lda, new MatrixPackB(b, ldb, transB), beta, c, ldc);

    private static void Region<TPackB>(bool transA, int m0, int m1, int n0, int n1, int k, float alpha,
        float* a, int lda, TPackB b, float beta, float* c, int ldc) where TPackB : struct, IGemmPackB
    {
        if (UseVector512)
            GemmBlocked<Kernel512x8x32>.Run(transA, m0, m1, n0, n1, k, alpha, a, lda, b, beta, c, ldc);
        else
            GemmBlocked<Kernel256x6x16>.Run(transA, m0, m1, n0, n1, k, alpha, a, lda, b, beta, c, ldc);
    }

    private static void ScaleC(float[] c, long off, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.AsSpan((int)(off + (long)i * ldc), n);
            if (beta == 0) row.Clear();
            else if (beta != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k, float[] a, int aOff, int lda,
        float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int batch, long strideA, long strideB, long strideC)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        if (m < 0 || n < 0 || k < 0 || batch < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"Sgemm: negative size (m={m}, n={n}, k={k}, batch={batch}).");
        if (strideA < 0 || strideB < 0 || strideC < 0)
            throw new ArgumentOutOfRangeException(nameof(strideA), "Sgemm: batch strides must be >= 0.");
        if (batch > 1 && strideC == 0 && m > 0 && n > 0)
            throw new ArgumentException("Sgemm: strideC must be non-zero when batch > 1 (outputs would alias).");
        if (m == 0 || n == 0 || batch == 0) return;
        CheckOperand("A", a, aOff, lda, transA ? k : m, transA ? m : k, batch, strideA);
        CheckOperand("B", b, bOff, ldb, transB ? n : k, transB ? k : n, batch, strideB);
        CheckOperand("C", c, cOff, ldc, m, n, batch, strideC);
        if (k > 0)
        {
            CheckDisjoint("A", a, aOff, lda, transA ? k : m, transA ? m : k, batch, strideA, c, cOff, ldc, m, n, strideC);
            CheckDisjoint("B", b, bOff, ldb, transB ? n : k, transB ? k : n, batch, strideB, c, cOff, ldc, m, n, strideC);
        }
    }

    /// <summary>C may not share elements with an input (as in BLAS): the kernels read A and B block by block while tiles
    /// of C are already written, so an in-place product would read overwritten values. Checked on the element ranges
    /// spanned (conservative for interleaved batches).</summary>
    private static void CheckDisjoint(string name, float[] x, int xOff, int ldx, int xRows, int xCols, int batch, long strideX,
        float[] c, int cOff, int ldc, int m, int n, long strideC)
    {
        if (!ReferenceEquals(x, c)) return;
        long xLast = xOff + (long)(batch - 1) * strideX + (long)(xRows - 1) * ldx + xCols - 1;
        long cLast = cOff + (long)(batch - 1) * strideC + (long)(m - 1) * ldc + n - 1;
        if (xOff <= cLast && cOff <= xLast)
            throw new ArgumentException($"Sgemm: C (elements {cOff}..{cLast}) overlaps {name} (elements {xOff}..{xLast}) in the same array; " +
                "in-place products are not supported, write C to another buffer.");
    }

    /// <summary>Checks that a rows x cols row-major matrix with leading dimension ld fits the array for every batch.</summary>
    private static void CheckOperand(string name, float[] x, int off, int ld, int rows, int cols, int batch, long stride)
    {
        if (off < 0) throw new ArgumentOutOfRangeException(name, $"Sgemm: {name} offset {off} is negative.");
        if (rows == 0 || cols == 0) return;
        if (ld < cols)
            throw new ArgumentException($"Sgemm: leading dimension of {name} ({ld}) is smaller than its row length ({cols}).");
        long last = off + (long)(batch - 1) * stride + (long)(rows - 1) * ld + cols - 1;
        if (last >= x.Length)
            throw new ArgumentException($"Sgemm: {name} needs {last + 1} elements ({rows}x{cols}, ld {ld}, offset {off}, batch {batch}) but the array has {x.Length}.");
    }
}
