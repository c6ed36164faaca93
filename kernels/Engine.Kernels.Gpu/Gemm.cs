using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>
/// Row-major SGEMM: C = alpha * op(A) op(B) + beta * C, batched (see <see cref="GemmBatch"/>). The fast kernel tiles
/// 64x64 outputs per 256-thread group through shared memory (k-slices of 16), each thread holding a 4x4 register
/// block, and prefetches the next k-slice into registers while computing the current one (double buffering).
/// The naive kernel (one thread per output) is the reference it is tested against.
/// </summary>
public static partial class Gemm
{
    public const int TileM = 64, TileN = 64, TileK = 16, Threads = 256;

    // ---------------------------------------------------------------- launch API

    /// <summary>Single GEMM; offsets are element offsets into the views.</summary>
    public static void Sgemm(GpuDevice dev, bool transA, bool transB, int m, int n, int k,
                             float alpha, ArrayView<float> a, long aOff, int lda, ArrayView<float> b, long bOff, int ldb,
                             float beta, ArrayView<float> c, long cOff, int ldc, GemmPrecision precision = GemmPrecision.Fp32) =>
        SgemmBatched(dev, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, GemmBatch.Single, precision);

    public static void SgemmBatched(GpuDevice dev, bool transA, bool transB, int m, int n, int k,
                                    float alpha, ArrayView<float> a, long aOff, int lda, ArrayView<float> b, long bOff, int ldb,
                                    float beta, ArrayView<float> c, long cOff, int ldc, GemmBatch batch,
                                    GemmPrecision precision = GemmPrecision.Fp32)
    {
        var p = Prepare(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, batch);
        if (m == 0 || n == 0 || batch.Count == 0) return;
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (precision == GemmPrecision.Tf32TensorCore)
        {
            GemmTensorCore.Launch(dev, p, a, b, c, batch.Count);
        }
        else
        {
            LaunchFp32(dev, p, a, b, c, batch.Count, large: Tiles(m, n, large: true) * batch.Count >= LargeTileMinGroups);
        }
        dev.AfterLaunch(precision == GemmPrecision.Fp32 ? "gemm_fp32" : "gemm_tf32", t0);
    }

    /// <summary>Output tiles (thread groups per batch entry) of an m x n product with the 128x128 or the 64x64 kernel.</summary>
    internal static long Tiles(int m, int n, bool large) => large
        ? (long)((m + LargeTile - 1) / LargeTile) * ((n + LargeTile - 1) / LargeTile)
        : (long)((m + TileM - 1) / TileM) * ((n + TileN - 1) / TileN);

    /// <summary>Fewest 128x128 tiles for which the large kernel is chosen: one wave on a 132-SM H100/H200. Measured on
    /// an H200 (x W^T, CLIPSeg's shapes): at 186 tiles the large kernel was 20 % faster than the 64x64 one (11.0 vs
    /// 9.2 TFLOPS), at 96 tiles 8 % slower, at 24 tiles 2.4 times slower. ENGINE_GPU_LARGE_TILE_MIN_GROUPS overrides it
    /// for measurements (perf/gpu/run_on_gpu.sh).</summary>
    public static readonly int LargeTileMinGroups =
        int.TryParse(Environment.GetEnvironmentVariable("ENGINE_GPU_LARGE_TILE_MIN_GROUPS"), out var g) && g > 0 ? g : 132;

    internal static void LaunchFp32(GpuDevice dev, GemmParams p, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int batchCount, bool large)
    {
        if (large)
            dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(TiledLargeKernel)(
                new KernelConfig(new Index3D((p.N + LargeTile - 1) / LargeTile, (p.M + LargeTile - 1) / LargeTile, batchCount), new Index3D(Threads, 1, 1)), a, b, c, p);
        else
            dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(TiledKernel)(
                new KernelConfig(new Index3D((p.N + TileN - 1) / TileN, (p.M + TileM - 1) / TileM, batchCount), new Index3D(Threads, 1, 1)), a, b, c, p);
    }

    /// <summary>The naive reference kernel (one thread per output element), same semantics.</summary>
    public static void SgemmNaive(GpuDevice dev, bool transA, bool transB, int m, int n, int k,
                                  float alpha, ArrayView<float> a, long aOff, int lda, ArrayView<float> b, long bOff, int ldb,
                                  float beta, ArrayView<float> c, long cOff, int ldc, GemmBatch batch)
    {
        var p = Prepare(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, batch);
        long total = (long)m * n * batch.Count;
        if (total == 0) return;
        var kernel = dev.Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>>(
            NaiveKernel, acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(NaiveKernel));
        kernel(Check.ToInt(total, "GEMM outputs"), a, b, c, p);
    }

    internal static GemmParams Prepare(bool transA, bool transB, int m, int n, int k,
                                       float alpha, ArrayView<float> a, long aOff, int lda, ArrayView<float> b, long bOff, int ldb,
                                       float beta, ArrayView<float> c, long cOff, int ldc, GemmBatch batch)
    {
        Check.NonNegative(m, nameof(m)); Check.NonNegative(n, nameof(n)); Check.NonNegative(k, nameof(k));
        Check.NonNegative(aOff, nameof(aOff)); Check.NonNegative(bOff, nameof(bOff)); Check.NonNegative(cOff, nameof(cOff));
        if (batch.Outer < 0 || batch.Inner < 1) throw new ArgumentException($"Bad GEMM batch {batch}.");
        int rowsA = transA ? k : m, colsA = transA ? m : k, rowsB = transB ? n : k, colsB = transB ? k : n;
        if (lda < Math.Max(1, colsA)) throw new ArgumentException($"lda {lda} < {colsA} columns of A.");
        if (ldb < Math.Max(1, colsB)) throw new ArgumentException($"ldb {ldb} < {colsB} columns of B.");
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"ldc {ldc} < {n} columns of C.");
        if (batch.Count > 0)
        {
            long bo = batch.Outer - 1, bi = batch.Inner - 1;
            if (m > 0 && k > 0) Check.Fits(a, aOff + bo * batch.A1 + bi * batch.A2 + (long)(rowsA - 1) * lda + colsA, "A");
            if (n > 0 && k > 0) Check.Fits(b, bOff + bo * batch.B1 + bi * batch.B2 + (long)(rowsB - 1) * ldb + colsB, "B");
            if (m > 0 && n > 0) Check.Fits(c, cOff + bo * batch.C1 + bi * batch.C2 + (long)(m - 1) * ldc + n, "C");
            if (batch.A1 < 0 || batch.A2 < 0 || batch.B1 < 0 || batch.B2 < 0 || batch.C1 < 0 || batch.C2 < 0)
                throw new ArgumentException("Negative batch strides are not supported.");
        }
        return new GemmParams
        {
            M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc, TransA = transA ? 1 : 0, TransB = transB ? 1 : 0,
            BatchInner = batch.Inner, Alpha = alpha, Beta = beta, OffA = aOff, OffB = bOff, OffC = cOff,
            A1 = batch.A1, A2 = batch.A2, B1 = batch.B1, B2 = batch.B2, C1 = batch.C1, C2 = batch.C2,
        };
    }

    // ---------------------------------------------------------------- kernels

    [GpuKernel]
    public static void NaiveKernel(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
    {
        int mn = p.M * p.N;
        int batch = index / mn, rem = index % mn, i = rem / p.N, j = rem % p.N;
        long offA = p.OffA + (batch / p.BatchInner) * p.A1 + (batch % p.BatchInner) * p.A2;
        long offB = p.OffB + (batch / p.BatchInner) * p.B1 + (batch % p.BatchInner) * p.B2;
        long offC = p.OffC + (batch / p.BatchInner) * p.C1 + (batch % p.BatchInner) * p.C2;
        float acc = 0f;
        for (int kk = 0; kk < p.K; kk++)
        {
            float av = p.TransA != 0 ? a[offA + (long)kk * p.Lda + i] : a[offA + (long)i * p.Lda + kk];
            float bv = p.TransB != 0 ? b[offB + (long)j * p.Ldb + kk] : b[offB + (long)kk * p.Ldb + j];
            acc += av * bv;
        }
        long ci = offC + (long)i * p.Ldc + j;
        c[ci] = p.Beta == 0f ? p.Alpha * acc : p.Alpha * acc + p.Beta * c[ci];
    }

    /// <summary>Loads element r (0..3) of this thread's share of the A k-slice: returns the value and its tile slot.</summary>
    private static int SlotA(int transA, int e) => transA != 0 ? (e / TileM) * TileM + e % TileM : (e % TileK) * TileM + e / TileK;

    private static int SlotB(int transB, int e) => transB != 0 ? (e % TileK) * TileN + e / TileK : (e / TileN) * TileN + e % TileN;

    /// <summary>Element e (0..1023) of the A k-slice starting at k0. Consecutive threads walk the contiguous axis of A
    /// (m for A^T, k otherwise) so global loads coalesce; SlotA gives where it goes in the [k][m] tile.</summary>
    private static float LoadA(ArrayView<float> a, GemmParams p, long offA, int m0, int k0, int e)
    {
        int mm, kk;
        if (p.TransA != 0) { mm = e % TileM; kk = e / TileM; }
        else { kk = e % TileK; mm = e / TileK; }
        int gm = m0 + mm, gk = k0 + kk;
        if (gm >= p.M || gk >= p.K) return 0f;
        return p.TransA != 0 ? a[offA + (long)gk * p.Lda + gm] : a[offA + (long)gm * p.Lda + gk];
    }

    private static float LoadB(ArrayView<float> b, GemmParams p, long offB, int n0, int k0, int e)
    {
        int nn, kk;
        if (p.TransB != 0) { kk = e % TileK; nn = e / TileK; }
        else { nn = e % TileN; kk = e / TileN; }
        int gn = n0 + nn, gk = k0 + kk;
        if (gn >= p.N || gk >= p.K) return 0f;
        return p.TransB != 0 ? b[offB + (long)gn * p.Ldb + gk] : b[offB + (long)gk * p.Ldb + gn];
    }

    private static void Store(ArrayView<float> c, GemmParams p, long offC, int row, int col, float acc)
    {
        if (row >= p.M || col >= p.N) return;
        long ci = offC + (long)row * p.Ldc + col;
        c[ci] = p.Beta == 0f ? p.Alpha * acc : p.Alpha * acc + p.Beta * c[ci];
    }

    [GpuKernel(ExplicitlyGrouped = true)]
    public static void TiledKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
    {
        var As = SharedMemory.Allocate<float>(TileK * TileM); // [k][m]
        var Bs = SharedMemory.Allocate<float>(TileK * TileN); // [k][n]
        int tid = Group.IdxX, tx = tid % 16, ty = tid / 16;
        int n0 = Grid.IdxX * TileN, m0 = Grid.IdxY * TileM, batch = Grid.IdxZ;
        long offA = p.OffA + (batch / p.BatchInner) * p.A1 + (batch % p.BatchInner) * p.A2;
        long offB = p.OffB + (batch / p.BatchInner) * p.B1 + (batch % p.BatchInner) * p.B2;
        long offC = p.OffC + (batch / p.BatchInner) * p.C1 + (batch % p.BatchInner) * p.C2;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        // Prefetch slice 0 into registers.
        float ra0 = LoadA(a, p, offA, m0, 0, tid), ra1 = LoadA(a, p, offA, m0, 0, tid + 256);
        float ra2 = LoadA(a, p, offA, m0, 0, tid + 512), ra3 = LoadA(a, p, offA, m0, 0, tid + 768);
        float rb0 = LoadB(b, p, offB, n0, 0, tid), rb1 = LoadB(b, p, offB, n0, 0, tid + 256);
        float rb2 = LoadB(b, p, offB, n0, 0, tid + 512), rb3 = LoadB(b, p, offB, n0, 0, tid + 768);

        int sa0 = SlotA(p.TransA, tid), sa1 = SlotA(p.TransA, tid + 256), sa2 = SlotA(p.TransA, tid + 512), sa3 = SlotA(p.TransA, tid + 768);
        int sb0 = SlotB(p.TransB, tid), sb1 = SlotB(p.TransB, tid + 256), sb2 = SlotB(p.TransB, tid + 512), sb3 = SlotB(p.TransB, tid + 768);
        for (int k0 = 0; k0 < p.K; k0 += TileK)
        {
            As[sa0] = ra0; As[sa1] = ra1; As[sa2] = ra2; As[sa3] = ra3;
            Bs[sb0] = rb0; Bs[sb1] = rb1; Bs[sb2] = rb2; Bs[sb3] = rb3;
            Group.Barrier();
            int kn = k0 + TileK;
            if (kn < p.K)
            {
                // Next slice's global loads overlap with this slice's arithmetic.
                ra0 = LoadA(a, p, offA, m0, kn, tid); ra1 = LoadA(a, p, offA, m0, kn, tid + 256);
                ra2 = LoadA(a, p, offA, m0, kn, tid + 512); ra3 = LoadA(a, p, offA, m0, kn, tid + 768);
                rb0 = LoadB(b, p, offB, n0, kn, tid); rb1 = LoadB(b, p, offB, n0, kn, tid + 256);
                rb2 = LoadB(b, p, offB, n0, kn, tid + 512); rb3 = LoadB(b, p, offB, n0, kn, tid + 768);
            }
            for (int kk = 0; kk < TileK; kk++)
            {
                // Sub-views at the row start, then constant indices: the shared loads get immediate offsets instead
                // of an address computation each (ILGPU widens every int index before adding it).
                var ar = As.SubView(kk * TileM + ty, TileM - 15); var br = Bs.SubView(kk * TileN + tx, TileN - 15);
                float a0 = ar[0], a1 = ar[16], a2 = ar[32], a3 = ar[48];
                float b0 = br[0], b1 = br[16], b2 = br[32], b3 = br[48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        int r0 = m0 + ty, cc = n0 + tx;
        Store(c, p, offC, r0, cc, c00); Store(c, p, offC, r0, cc + 16, c01); Store(c, p, offC, r0, cc + 32, c02); Store(c, p, offC, r0, cc + 48, c03);
        Store(c, p, offC, r0 + 16, cc, c10); Store(c, p, offC, r0 + 16, cc + 16, c11); Store(c, p, offC, r0 + 16, cc + 32, c12); Store(c, p, offC, r0 + 16, cc + 48, c13);
        Store(c, p, offC, r0 + 32, cc, c20); Store(c, p, offC, r0 + 32, cc + 16, c21); Store(c, p, offC, r0 + 32, cc + 32, c22); Store(c, p, offC, r0 + 32, cc + 48, c23);
        Store(c, p, offC, r0 + 48, cc, c30); Store(c, p, offC, r0 + 48, cc + 16, c31); Store(c, p, offC, r0 + 48, cc + 32, c32); Store(c, p, offC, r0 + 48, cc + 48, c33);
    }
}
