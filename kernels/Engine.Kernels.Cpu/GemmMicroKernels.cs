using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>A register-blocked GEMM micro-kernel: C[MR x NR] = alpha * Apanel * Bpanel + beta * C, beta == 0 overwrites.
/// Apanel is k-major with MR floats per step, Bpanel k-major with NR floats per step (see <see cref="GemmPacking"/>).
/// Implemented by structs so the generic blocked driver is specialised (and inlined) per kernel by the JIT.</summary>
internal unsafe interface IGemmMicroKernel : ITileLoop
{
    static abstract int NR { get; }
    /// <summary>K block (floats of the B micro-panel per column) chosen so the B micro-panel stays in L1.</summary>
    static abstract int KC { get; }
    /// <summary>Rows of A packed at once (kept in L2).</summary>
    static abstract int MC { get; }
    /// <summary>Columns of B packed at once (kept in L3).</summary>
    static abstract int NC { get; }
    static abstract void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta);
    /// <summary><see cref="Run"/> for a B micro-panel read for the first time from memory (a prepacked weight's first
    /// row tile): prefetches B further ahead, so the stream keeps enough requests in flight to run at memory speed.
    /// Every other tile finds the panel in cache, where those prefetches would only take load slots (~3 %).</summary>
    static abstract void RunStreamingB(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta);
    /// <summary><see cref="Run"/> that also prefetches kc x NR / 2 floats from <paramref name="next"/> (half of the
    /// next B micro-panel) while it computes from the current one, which is cached already.</summary>
    static abstract void RunPrefetchingNext(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, float* next);
    /// <summary>A tile of <paramref name="rows"/> &lt; MR rows over all NR columns, straight into C: only those rows are
    /// computed (the A panel is still MR floats per step, padded). <paramref name="streamB"/> and
    /// <paramref name="next"/> (may be null) as in <see cref="RunStreamingB"/> and <see cref="RunPrefetchingNext"/>.</summary>
    static abstract void RunRows(int rows, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, bool streamB, float* next);
    /// <summary>A tile of the last K block, all NR columns and <paramref name="rows"/> &lt;= MR rows, with
    /// <paramref name="epilogue"/> applied as the tile is stored (its top-left element is (row0, col0) of C);
    /// <paramref name="streamB"/> and <paramref name="next"/> as in <see cref="RunRows"/>.</summary>
    static abstract void RunFinal<TEpilogue>(int rows, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, bool streamB, float* next,
        in TEpilogue epilogue, int row0, int col0) where TEpilogue : struct, IGemmEpilogue;
    /// <summary>Whether the kernel implements <see cref="RunFinalDirect"/> (A read in place, not packed).</summary>
    static abstract bool DirectA { get; }
    /// <summary><see cref="RunFinal"/> with A read where it is: row i of the tile starts at a + i * lda (kc values, k
    /// contiguous), instead of from a packed panel. The same values in the same order as the packed form, so the same
    /// bits. Only when <see cref="DirectA"/>.</summary>
    static abstract void RunFinalDirect<TEpilogue>(int rows, int kc, float* a, int lda, float* b, float* c, int ldc, float alpha, float beta, bool streamB,
        float* next, in TEpilogue epilogue, int row0, int col0) where TEpilogue : struct, IGemmEpilogue;
}

/// <summary>The k loop of a micro-kernel, specialised at compile time per row count, B prefetch, epilogue and A operand
/// (each instantiation is its own loop; every row count sums each element in the same order).</summary>
internal unsafe interface ITileLoop
{
    static abstract int MR { get; }
    static abstract void Loop<TRows, TPrefetch, TEpilogue, TA>(int kc, float* a, int lda, float* b, float* c, int ldc, float alpha, float beta,
        float* next, in TEpilogue epilogue, int row0, int col0)
        where TRows : struct, IRowCount where TPrefetch : struct, IBPrefetch where TEpilogue : struct, IGemmEpilogue where TA : struct, IAOperand;
}

/// <summary>Picks the <see cref="ITileLoop.Loop"/> instantiation for a tile at run time: the B prefetch from
/// (streamB, next) as <see cref="IGemmMicroKernel.RunFinal"/> documents, the row count from rows (1..MR).</summary>
internal static unsafe class TileLoops<TKernel> where TKernel : struct, ITileLoop
{
    public static void Run<TEpilogue, TA>(int rows, int kc, float* a, int lda, float* b, float* c, int ldc, float alpha, float beta, bool streamB,
        float* next, in TEpilogue epilogue, int row0, int col0) where TEpilogue : struct, IGemmEpilogue where TA : struct, IAOperand
    {
        if (rows < 1 || rows > TKernel.MR) throw new ArgumentOutOfRangeException(nameof(rows), $"A tile has 1-{TKernel.MR} rows, not {rows}.");
        if (streamB) Rows<FarBPrefetch, TEpilogue, TA>(rows, kc, a, lda, b, c, ldc, alpha, beta, null, epilogue, row0, col0);
        else if (next != null) Rows<NextBPrefetch, TEpilogue, TA>(rows, kc, a, lda, b, c, ldc, alpha, beta, next, epilogue, row0, col0);
        else Rows<NearBPrefetch, TEpilogue, TA>(rows, kc, a, lda, b, c, ldc, alpha, beta, null, epilogue, row0, col0);
    }

    private static void Rows<TPrefetch, TEpilogue, TA>(int rows, int kc, float* a, int lda, float* b, float* c, int ldc, float alpha, float beta, float* next,
        in TEpilogue epilogue, int row0, int col0) where TPrefetch : struct, IBPrefetch where TEpilogue : struct, IGemmEpilogue where TA : struct, IAOperand
    {
        switch (rows)
        {
            case 1: TKernel.Loop<Rows1, TPrefetch, TEpilogue, TA>(kc, a, lda, b, c, ldc, alpha, beta, next, epilogue, row0, col0); break;
            case 2: TKernel.Loop<Rows2, TPrefetch, TEpilogue, TA>(kc, a, lda, b, c, ldc, alpha, beta, next, epilogue, row0, col0); break;
            case 3: TKernel.Loop<Rows3, TPrefetch, TEpilogue, TA>(kc, a, lda, b, c, ldc, alpha, beta, next, epilogue, row0, col0); break;
            case 4: TKernel.Loop<Rows4, TPrefetch, TEpilogue, TA>(kc, a, lda, b, c, ldc, alpha, beta, next, epilogue, row0, col0); break;
            case 5: TKernel.Loop<Rows5, TPrefetch, TEpilogue, TA>(kc, a, lda, b, c, ldc, alpha, beta, next, epilogue, row0, col0); break;
            case 6: TKernel.Loop<Rows6, TPrefetch, TEpilogue, TA>(kc, a, lda, b, c, ldc, alpha, beta, next, epilogue, row0, col0); break;
            case 7: TKernel.Loop<Rows7, TPrefetch, TEpilogue, TA>(kc, a, lda, b, c, ldc, alpha, beta, next, epilogue, row0, col0); break;
            case 8: TKernel.Loop<Rows8, TPrefetch, TEpilogue, TA>(kc, a, lda, b, c, ldc, alpha, beta, next, epilogue, row0, col0); break;
        }
    }
}

/// <summary>Where a micro-kernel reads A (a compile-time choice, like <see cref="IBPrefetch"/>).</summary>
internal interface IAOperand
{
    /// <summary>True: rows in place, lda apart; false: a packed panel, MR floats per k step.</summary>
    static abstract bool Direct { get; }
}

internal struct PackedA : IAOperand { public static bool Direct => false; }
internal struct DirectA : IAOperand { public static bool Direct => true; }

/// <summary>A compile-time row count for the micro-kernel loop (each count is its own specialised loop).</summary>
internal interface IRowCount { static abstract int N { get; } }
internal struct Rows1 : IRowCount { public static int N => 1; }
internal struct Rows2 : IRowCount { public static int N => 2; }
internal struct Rows3 : IRowCount { public static int N => 3; }
internal struct Rows4 : IRowCount { public static int N => 4; }
internal struct Rows5 : IRowCount { public static int N => 5; }
internal struct Rows6 : IRowCount { public static int N => 6; }
internal struct Rows7 : IRowCount { public static int N => 7; }
internal struct Rows8 : IRowCount { public static int N => 8; }

/// <summary>How far ahead a micro-kernel prefetches its B micro-panel (a compile-time choice: the kernels are generic
/// over it, so each variant is its own specialised loop).</summary>
internal interface IBPrefetch
{
    /// <summary>True: every line 4 KiB ahead (streaming from memory); false: two lines 1 KiB ahead (cached panel).</summary>
    static abstract bool Far { get; }
    /// <summary>True: also two lines of the next panel per four k steps.</summary>
    static abstract bool Next { get; }
}

internal struct NearBPrefetch : IBPrefetch { public static bool Far => false; public static bool Next => false; }
internal struct FarBPrefetch : IBPrefetch { public static bool Far => true; public static bool Next => false; }
internal struct NextBPrefetch : IBPrefetch { public static bool Far => false; public static bool Next => true; }

/// <summary>Cache-blocking sizes per micro-kernel (fields rather than constants so the benchmark harness can sweep
/// them; they are read once per GEMM region). MC rows x KC of packed A stay in L2, KC x NR of packed B in L1.</summary>
internal static class GemmTuning
{
    public static int Kc256 = 256, Mc256 = 144, Nc256 = 3072;
    public static int Kc512 = 192, Mc512 = 144, Nc512 = 3072;
    /// <summary>Column block when all of A is packed up front (at most one MC block of rows), and the A size limit.</summary>
    public static int NcFewRows = 256;
    public static long WholeAFloats = 1 << 16;
    /// <summary>Largest packed B chunk (floats) a worker of the multi-threaded GEMM packs at once: 256 KiB, half of a
    /// typical L2, so it stays cached beside the packed A block while the micro-kernels pass over it.</summary>
    public static int ChunkFloats = 1 << 16;
    /// <summary>Tallest product the shared-A scheduler takes (measured: ahead up to ~1000 rows, 10 % behind the static
    /// split at 3880 rows, e.g. a batch-8 ViT at 352 px). Running taller products as row blocks of up to this size
    /// through the shared-A driver was measured too (seventh session): chains neutral to +3 %, but the CLIPSeg batch-8
    /// forward 10-20 % slower than the static split in 4 interleaved rounds.</summary>
    public static int SharedAMaxRows = 1024;
    /// <summary>Column chunks wanted per worker in the multi-threaded driver: enough to balance a late worker, few
    /// enough that each chunk's B panel is long (packing cost per element falls with chunk width).</summary>
    public static int ChunksPerWorker = 4;
    /// <summary>Column panels per worker below which a product is too narrow for the shared-A column chunks: each
    /// chunk streams all of A, so a product of 64-127 columns (CLIPSeg's decoder: 2048 -> 64, 768 -> 64) would read
    /// its whole A once per 16 columns; the static row split reads it once. Measured on chains of 485 x 2048 x 64 and
    /// 485 x 768 x 64 products (cold weights, 2 threads): 4 is 11-14 % faster than 2.</summary>
    public static int MinPanelsPerWorker = 4;
    /// <summary>K-block depth of a B packed ahead of time (<see cref="PackedMatrixB"/>). Deep: a ViT's K = 768 products
    /// then run as one K block (no second pass over C), and the B micro-panels stream from L2 fast enough
    /// (measured on chains of cold-weight products at 197 and 485 rows: +3-7 % over 384, +4-8 % over 256).</summary>
    public static int KcPrepacked = 768;
    /// <summary>Rows per A block in the shared-A multi-threaded driver (198 = a ViT-B/16 at 224 px in one block:
    /// +1-4 % over 144 at 197 rows, neutral at 485).</summary>
    public static int McSharedA = 198;
    /// <summary>Benchmark hook: 0 = choose the multi-threaded split by cost model, 1 = by columns, 2 = by rows.</summary>
    public static int SplitOverride;
    /// <summary>Row tiles 1 and 2 over a prepacked B panel streamed from memory prefetch the next panel (see
    /// <see cref="GemmBlocked{TKernel}.PrefetchSlice"/>). Measured (interleaved, cold weights, 2 threads): the CLIP text
    /// encoder's 48 products at 13 rows 12.9-13.5 -> 11.6-12.6 ms (medians of 30 rounds, 5 runs), 26 rows 17.2 -> 16.8;
    /// ViT chains at 197 and 485 rows unchanged within noise (+0-3 %); 1 row unchanged (no second tile).</summary>
    public static bool PrefetchNextPanel = true;
    /// <summary>Tiles of fewer than MR rows compute only their rows, straight into C (<see cref="IGemmMicroKernel.RunRows"/>)
    /// instead of a full tile into scratch. Measured (interleaved, 30 rounds): the CLIP text encoder's products at 13, 14
    /// and 17 rows -5 to -6 % (median; 13 rows: 13.0-13.8 -> 12.2-13.0 ms); 197/485-row chains unchanged within noise.</summary>
    public static bool PartialRowTiles = true;
    /// <summary>A short remainder tile is evened out with the tiles before it (<see cref="GemmRowTiles"/>). Measured
    /// (hot packed weights, interleaved, 2500 products each): the CLIP text encoder's products at 13 rows -3 to -9 %
    /// median (1 and 2 threads), 7, 14 and 26 rows -3 to -5 %; results bit-identical.</summary>
    public static bool BalancedRowTail = true;
    /// <summary>The shared-A driver reads a row-major A in place (<see cref="IGemmMicroKernel.RunFinalDirect"/>) instead of
    /// packing it first.</summary>
    public static bool DirectA = Environment.GetEnvironmentVariable("ENGINE_TUNE_DIRECT") != "0";
}

/// <summary>6 x 16 AVX2 kernel: 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers. The k loop is
/// unrolled 4 times (one prefetch group and one pointer update per 4 steps): 3-7 % faster than the plain loop on the
/// model shapes (interleaved single-thread A/B), with bit-identical results.</summary>
internal unsafe struct Kernel256x6x16 : IGemmMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => GemmTuning.Kc256;
    public static int MC => GemmTuning.Mc256;
    public static int NC => GemmTuning.Nc256;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        => Loop<Rows6, NearBPrefetch, NoEpilogue, PackedA>(kc, a, 0, b, c, ldc, alpha, beta, null, default, 0, 0);

    /// <summary>Measured (interleaved runs) on a chain of the 48 CLIP text-encoder products at 13 rows, cold packed
    /// weights, 2 threads: 12-13 ms against 15-18 ms with the near prefetch plus the driver's former prefetch of the
    /// next B panel in bursts (which this replaces); chains of 197/485-row ViT products unchanged (one tile in 33 or 81
    /// streams).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunStreamingB(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        => Loop<Rows6, FarBPrefetch, NoEpilogue, PackedA>(kc, a, 0, b, c, ldc, alpha, beta, null, default, 0, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunPrefetchingNext(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, float* next)
        => Loop<Rows6, NextBPrefetch, NoEpilogue, PackedA>(kc, a, 0, b, c, ldc, alpha, beta, next, default, 0, 0);

    public static void RunRows(int rows, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, bool streamB, float* next)
    {
        if (rows is < 1 or > 5) throw new ArgumentOutOfRangeException(nameof(rows), $"A partial tile has 1-5 rows, not {rows}.");
        RunFinal(rows, kc, a, b, c, ldc, alpha, beta, streamB, next, default(NoEpilogue), 0, 0);
    }

    /// <summary>The epilogue on the accumulators: no reload of the finished tile (measured against the stored-tile form
    /// per epilogue kind: see LinearEpilogue.InRegisters in Engine.Core).</summary>
    public static void RunFinal<TEpilogue>(int rows, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, bool streamB, float* next,
        in TEpilogue epilogue, int row0, int col0) where TEpilogue : struct, IGemmEpilogue
        => TileLoops<Kernel256x6x16>.Run<TEpilogue, PackedA>(rows, kc, a, 0, b, c, ldc, alpha, beta, streamB, next, epilogue, row0, col0);

    public static bool DirectA => true;

    public static void RunFinalDirect<TEpilogue>(int rows, int kc, float* a, int lda, float* b, float* c, int ldc, float alpha, float beta, bool streamB,
        float* next, in TEpilogue epilogue, int row0, int col0) where TEpilogue : struct, IGemmEpilogue
        => TileLoops<Kernel256x6x16>.Run<TEpilogue, DirectA>(rows, kc, a, lda, b, c, ldc, alpha, beta, streamB, next, epilogue, row0, col0);

    /// <summary>The k loop for the first TRows.N rows of the tile (6: the full tile; fewer: a partial tile, so a prompt's
    /// 13 rows cost 6 + 6 + 1 rows of work instead of 18). Each instantiation is its own loop: the JIT drops the other
    /// rows' code, so every row count sums each element in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Loop<TRows, TPrefetch, TEpilogue, TA>(int kc, float* a, int lda, float* b, float* c, int ldc, float alpha, float beta, float* next,
        in TEpilogue epilogue, int row0, int col0)
        where TRows : struct, IRowCount where TPrefetch : struct, IBPrefetch where TEpilogue : struct, IGemmEpilogue where TA : struct, IAOperand
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Direct A (IGemmMicroKernel.RunFinalDirect): one pointer per row, each advancing along k.
        float* a0 = TA.Direct && TRows.N > 0 ? a + 0L * lda : a;
        float* a1 = TA.Direct && TRows.N > 1 ? a + 1L * lda : a;
        float* a2 = TA.Direct && TRows.N > 2 ? a + 2L * lda : a;
        float* a3 = TA.Direct && TRows.N > 3 ? a + 3L * lda : a;
        float* a4 = TA.Direct && TRows.N > 4 ? a + 4L * lda : a;
        float* a5 = TA.Direct && TRows.N > 5 ? a + 5L * lda : a;
        if (Sse.IsSupported)
        {
            // Pull the C tile towards L1 while the k loop runs; it is read right after.
            float* cr = c;
            for (int i = 0; i < TRows.N; i++, cr += ldc) { Sse.Prefetch0(cr); Sse.Prefetch0(cr + 15); }
        }
        int p = 0;
        Vector256<float> b0, b1, av;
        for (; p + 4 <= kc; p += 4)
        {
            if (Sse.IsSupported)
            {
                if (!TA.Direct) Sse.Prefetch0(a + 96);
                // 4 steps read 64 floats of B (4 lines).
                if (TPrefetch.Far) { Sse.Prefetch0(b + 1024); Sse.Prefetch0(b + 1040); Sse.Prefetch0(b + 1056); Sse.Prefetch0(b + 1072); }
                else { Sse.Prefetch0(b + 256); Sse.Prefetch0(b + 288); }
                if (TPrefetch.Next) { Sse.Prefetch0(next); Sse.Prefetch0(next + 16); next += 32; }
            }
            b0 = Vector256.Load(b + 0); b1 = Vector256.Load(b + 8);
            if (TRows.N > 0) { av = Vector256.Create(TA.Direct ? a0[0] : a[0]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector256.Create(TA.Direct ? a1[0] : a[1]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector256.Create(TA.Direct ? a2[0] : a[2]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector256.Create(TA.Direct ? a3[0] : a[3]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector256.Create(TA.Direct ? a4[0] : a[4]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector256.Create(TA.Direct ? a5[0] : a[5]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51); }
            b0 = Vector256.Load(b + 16); b1 = Vector256.Load(b + 24);
            if (TRows.N > 0) { av = Vector256.Create(TA.Direct ? a0[1] : a[6]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector256.Create(TA.Direct ? a1[1] : a[7]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector256.Create(TA.Direct ? a2[1] : a[8]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector256.Create(TA.Direct ? a3[1] : a[9]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector256.Create(TA.Direct ? a4[1] : a[10]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector256.Create(TA.Direct ? a5[1] : a[11]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51); }
            b0 = Vector256.Load(b + 32); b1 = Vector256.Load(b + 40);
            if (TRows.N > 0) { av = Vector256.Create(TA.Direct ? a0[2] : a[12]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector256.Create(TA.Direct ? a1[2] : a[13]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector256.Create(TA.Direct ? a2[2] : a[14]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector256.Create(TA.Direct ? a3[2] : a[15]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector256.Create(TA.Direct ? a4[2] : a[16]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector256.Create(TA.Direct ? a5[2] : a[17]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51); }
            b0 = Vector256.Load(b + 48); b1 = Vector256.Load(b + 56);
            if (TRows.N > 0) { av = Vector256.Create(TA.Direct ? a0[3] : a[18]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector256.Create(TA.Direct ? a1[3] : a[19]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector256.Create(TA.Direct ? a2[3] : a[20]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector256.Create(TA.Direct ? a3[3] : a[21]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector256.Create(TA.Direct ? a4[3] : a[22]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector256.Create(TA.Direct ? a5[3] : a[23]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51); }
            if (TA.Direct) { a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4; a5 += 4; } else a += 24;
            b += 64;
        }
        for (; p < kc; p++)
        {
            b0 = Vector256.Load(b); b1 = Vector256.Load(b + 8);
            if (TRows.N > 0) { av = Vector256.Create(TA.Direct ? a0[0] : a[0]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector256.Create(TA.Direct ? a1[0] : a[1]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector256.Create(TA.Direct ? a2[0] : a[2]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector256.Create(TA.Direct ? a3[0] : a[3]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector256.Create(TA.Direct ? a4[0] : a[4]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector256.Create(TA.Direct ? a5[0] : a[5]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51); }
            if (TA.Direct) { a0 += 1; a1 += 1; a2 += 1; a3 += 1; a4 += 1; a5 += 1; } else a += 6;
            b += 16;
        }
        // The epilogue (NoEpilogue: none) runs on each row's two vectors as they are stored: the same arithmetic as
        // applying it to the stored tile, without reading the tile back.
        var va = Vector256.Create(alpha);
        if (beta == 0)
        {
            if (TRows.N > 0) Store(c + 0 * ldc, c00 * va, c01 * va, epilogue, row0 + 0, col0);
            if (TRows.N > 1) Store(c + 1 * ldc, c10 * va, c11 * va, epilogue, row0 + 1, col0);
            if (TRows.N > 2) Store(c + 2 * ldc, c20 * va, c21 * va, epilogue, row0 + 2, col0);
            if (TRows.N > 3) Store(c + 3 * ldc, c30 * va, c31 * va, epilogue, row0 + 3, col0);
            if (TRows.N > 4) Store(c + 4 * ldc, c40 * va, c41 * va, epilogue, row0 + 4, col0);
            if (TRows.N > 5) Store(c + 5 * ldc, c50 * va, c51 * va, epilogue, row0 + 5, col0);
        }
        else
        {
            var vb = Vector256.Create(beta);
            if (TRows.N > 0) Update(c + 0 * ldc, c00, c01, va, vb, epilogue, row0 + 0, col0);
            if (TRows.N > 1) Update(c + 1 * ldc, c10, c11, va, vb, epilogue, row0 + 1, col0);
            if (TRows.N > 2) Update(c + 2 * ldc, c20, c21, va, vb, epilogue, row0 + 2, col0);
            if (TRows.N > 3) Update(c + 3 * ldc, c30, c31, va, vb, epilogue, row0 + 3, col0);
            if (TRows.N > 4) Update(c + 4 * ldc, c40, c41, va, vb, epilogue, row0 + 4, col0);
            if (TRows.N > 5) Update(c + 5 * ldc, c50, c51, va, vb, epilogue, row0 + 5, col0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TEpilogue>(float* c, Vector256<float> x0, Vector256<float> x1, in TEpilogue epilogue, int row, int col0)
        where TEpilogue : struct, IGemmEpilogue
    {
        epilogue.Apply(x0, row, col0).Store(c);
        epilogue.Apply(x1, row, col0 + 8).Store(c + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<TEpilogue>(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> va, Vector256<float> vb,
        in TEpilogue epilogue, int row, int col0) where TEpilogue : struct, IGemmEpilogue
    {
        epilogue.Apply(Vector256.FusedMultiplyAdd(x0, va, Vector256.Load(c) * vb), row, col0).Store(c);
        epilogue.Apply(Vector256.FusedMultiplyAdd(x1, va, Vector256.Load(c + 8) * vb), row, col0 + 8).Store(c + 8);
    }
}

/// <summary>8 x 32 AVX-512 kernel: 16 accumulators + 2 B vectors + 1 broadcast of the 32 zmm registers, the same
/// structure as <see cref="Kernel256x6x16"/> (k loop unrolled 4 times, partial row tiles, B prefetch variants, the
/// epilogue on the accumulators).</summary>
internal unsafe struct Kernel512x8x32 : IGemmMicroKernel
{
    public static int MR => 8;
    public static int NR => 32;
    public static int KC => GemmTuning.Kc512;
    public static int MC => GemmTuning.Mc512;
    public static int NC => GemmTuning.Nc512;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        => Loop<Rows8, NearBPrefetch, NoEpilogue, PackedA>(kc, a, 0, b, c, ldc, alpha, beta, null, default, 0, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunStreamingB(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        => Loop<Rows8, FarBPrefetch, NoEpilogue, PackedA>(kc, a, 0, b, c, ldc, alpha, beta, null, default, 0, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunPrefetchingNext(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, float* next)
        => Loop<Rows8, NextBPrefetch, NoEpilogue, PackedA>(kc, a, 0, b, c, ldc, alpha, beta, next, default, 0, 0);

    public static void RunRows(int rows, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, bool streamB, float* next)
    {
        if (rows is < 1 or > 7) throw new ArgumentOutOfRangeException(nameof(rows), $"A partial tile has 1-7 rows, not {rows}.");
        RunFinal(rows, kc, a, b, c, ldc, alpha, beta, streamB, next, default(NoEpilogue), 0, 0);
    }

    public static void RunFinal<TEpilogue>(int rows, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, bool streamB, float* next,
        in TEpilogue epilogue, int row0, int col0) where TEpilogue : struct, IGemmEpilogue
        => TileLoops<Kernel512x8x32>.Run<TEpilogue, PackedA>(rows, kc, a, 0, b, c, ldc, alpha, beta, streamB, next, epilogue, row0, col0);

    public static bool DirectA => true;

    public static void RunFinalDirect<TEpilogue>(int rows, int kc, float* a, int lda, float* b, float* c, int ldc, float alpha, float beta, bool streamB,
        float* next, in TEpilogue epilogue, int row0, int col0) where TEpilogue : struct, IGemmEpilogue
        => TileLoops<Kernel512x8x32>.Run<TEpilogue, DirectA>(rows, kc, a, lda, b, c, ldc, alpha, beta, streamB, next, epilogue, row0, col0);

    /// <summary>The k loop for the first TRows.N rows of the tile; as in <see cref="Kernel256x6x16"/>, each row count is
    /// its own loop with the same summation order per element. A comes from a packed panel (MR floats per k step) or,
    /// with <see cref="DirectA"/>, straight from its rows (<paramref name="lda"/> apart): the same values in the same
    /// order, so the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Loop<TRows, TPrefetch, TEpilogue, TA>(int kc, float* a, int lda, float* b, float* c, int ldc, float alpha, float beta, float* next,
        in TEpilogue epilogue, int row0, int col0)
        where TRows : struct, IRowCount where TPrefetch : struct, IBPrefetch where TEpilogue : struct, IGemmEpilogue where TA : struct, IAOperand
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        float* a0 = TA.Direct && TRows.N > 0 ? a + 0L * lda : a;
        float* a1 = TA.Direct && TRows.N > 1 ? a + 1L * lda : a;
        float* a2 = TA.Direct && TRows.N > 2 ? a + 2L * lda : a;
        float* a3 = TA.Direct && TRows.N > 3 ? a + 3L * lda : a;
        float* a4 = TA.Direct && TRows.N > 4 ? a + 4L * lda : a;
        float* a5 = TA.Direct && TRows.N > 5 ? a + 5L * lda : a;
        float* a6 = TA.Direct && TRows.N > 6 ? a + 6L * lda : a;
        float* a7 = TA.Direct && TRows.N > 7 ? a + 7L * lda : a;
        if (Sse.IsSupported)
        {
            float* cr = c;
            for (int i = 0; i < TRows.N; i++, cr += ldc) { Sse.Prefetch0(cr); Sse.Prefetch0(cr + 31); }
        }
        int p = 0;
        Vector512<float> b0, b1, av;
        for (; p + 4 <= kc; p += 4)
        {
            if (Sse.IsSupported)
            {
                // 32 floats of A and 128 of B (8 lines) per 4 steps.
                if (!TA.Direct) { Sse.Prefetch0(a + 64); Sse.Prefetch0(a + 80); }
                if (TPrefetch.Far)
                {
                    Sse.Prefetch0(b + 1024); Sse.Prefetch0(b + 1040); Sse.Prefetch0(b + 1056); Sse.Prefetch0(b + 1072);
                    Sse.Prefetch0(b + 1088); Sse.Prefetch0(b + 1104); Sse.Prefetch0(b + 1120); Sse.Prefetch0(b + 1136);
                }
                else { Sse.Prefetch0(b + 512); Sse.Prefetch0(b + 544); Sse.Prefetch0(b + 576); Sse.Prefetch0(b + 608); }
                if (TPrefetch.Next) { Sse.Prefetch0(next); Sse.Prefetch0(next + 16); Sse.Prefetch0(next + 32); Sse.Prefetch0(next + 48); next += 64; }
            }
            b0 = Vector512.Load(b + 0); b1 = Vector512.Load(b + 16);
            if (TRows.N > 0) { av = Vector512.Create(TA.Direct ? a0[0] : a[0]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector512.Create(TA.Direct ? a1[0] : a[1]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector512.Create(TA.Direct ? a2[0] : a[2]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector512.Create(TA.Direct ? a3[0] : a[3]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector512.Create(TA.Direct ? a4[0] : a[4]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector512.Create(TA.Direct ? a5[0] : a[5]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); }
            if (TRows.N > 6) { av = Vector512.Create(TA.Direct ? a6[0] : a[6]); c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61); }
            if (TRows.N > 7) { av = Vector512.Create(TA.Direct ? a7[0] : a[7]); c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71); }
            b0 = Vector512.Load(b + 32); b1 = Vector512.Load(b + 48);
            if (TRows.N > 0) { av = Vector512.Create(TA.Direct ? a0[1] : a[8]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector512.Create(TA.Direct ? a1[1] : a[9]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector512.Create(TA.Direct ? a2[1] : a[10]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector512.Create(TA.Direct ? a3[1] : a[11]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector512.Create(TA.Direct ? a4[1] : a[12]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector512.Create(TA.Direct ? a5[1] : a[13]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); }
            if (TRows.N > 6) { av = Vector512.Create(TA.Direct ? a6[1] : a[14]); c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61); }
            if (TRows.N > 7) { av = Vector512.Create(TA.Direct ? a7[1] : a[15]); c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71); }
            b0 = Vector512.Load(b + 64); b1 = Vector512.Load(b + 80);
            if (TRows.N > 0) { av = Vector512.Create(TA.Direct ? a0[2] : a[16]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector512.Create(TA.Direct ? a1[2] : a[17]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector512.Create(TA.Direct ? a2[2] : a[18]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector512.Create(TA.Direct ? a3[2] : a[19]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector512.Create(TA.Direct ? a4[2] : a[20]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector512.Create(TA.Direct ? a5[2] : a[21]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); }
            if (TRows.N > 6) { av = Vector512.Create(TA.Direct ? a6[2] : a[22]); c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61); }
            if (TRows.N > 7) { av = Vector512.Create(TA.Direct ? a7[2] : a[23]); c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71); }
            b0 = Vector512.Load(b + 96); b1 = Vector512.Load(b + 112);
            if (TRows.N > 0) { av = Vector512.Create(TA.Direct ? a0[3] : a[24]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector512.Create(TA.Direct ? a1[3] : a[25]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector512.Create(TA.Direct ? a2[3] : a[26]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector512.Create(TA.Direct ? a3[3] : a[27]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector512.Create(TA.Direct ? a4[3] : a[28]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector512.Create(TA.Direct ? a5[3] : a[29]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); }
            if (TRows.N > 6) { av = Vector512.Create(TA.Direct ? a6[3] : a[30]); c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61); }
            if (TRows.N > 7) { av = Vector512.Create(TA.Direct ? a7[3] : a[31]); c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71); }
            if (TA.Direct) { a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4; a5 += 4; a6 += 4; a7 += 4; } else a += 32;
            b += 128;
        }
        for (; p < kc; p++)
        {
            b0 = Vector512.Load(b + 0); b1 = Vector512.Load(b + 16);
            if (TRows.N > 0) { av = Vector512.Create(TA.Direct ? a0[0] : a[0]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); }
            if (TRows.N > 1) { av = Vector512.Create(TA.Direct ? a1[0] : a[1]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); }
            if (TRows.N > 2) { av = Vector512.Create(TA.Direct ? a2[0] : a[2]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); }
            if (TRows.N > 3) { av = Vector512.Create(TA.Direct ? a3[0] : a[3]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); }
            if (TRows.N > 4) { av = Vector512.Create(TA.Direct ? a4[0] : a[4]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); }
            if (TRows.N > 5) { av = Vector512.Create(TA.Direct ? a5[0] : a[5]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); }
            if (TRows.N > 6) { av = Vector512.Create(TA.Direct ? a6[0] : a[6]); c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61); }
            if (TRows.N > 7) { av = Vector512.Create(TA.Direct ? a7[0] : a[7]); c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71); }
            if (TA.Direct) { a0 += 1; a1 += 1; a2 += 1; a3 += 1; a4 += 1; a5 += 1; a6 += 1; a7 += 1; } else a += 8;
            b += 32;
        }
        var va = Vector512.Create(alpha);
        if (beta == 0)
        {
            if (TRows.N > 0) Store(c + 0 * ldc, c00 * va, c01 * va, epilogue, row0 + 0, col0);
            if (TRows.N > 1) Store(c + 1 * ldc, c10 * va, c11 * va, epilogue, row0 + 1, col0);
            if (TRows.N > 2) Store(c + 2 * ldc, c20 * va, c21 * va, epilogue, row0 + 2, col0);
            if (TRows.N > 3) Store(c + 3 * ldc, c30 * va, c31 * va, epilogue, row0 + 3, col0);
            if (TRows.N > 4) Store(c + 4 * ldc, c40 * va, c41 * va, epilogue, row0 + 4, col0);
            if (TRows.N > 5) Store(c + 5 * ldc, c50 * va, c51 * va, epilogue, row0 + 5, col0);
            if (TRows.N > 6) Store(c + 6 * ldc, c60 * va, c61 * va, epilogue, row0 + 6, col0);
            if (TRows.N > 7) Store(c + 7 * ldc, c70 * va, c71 * va, epilogue, row0 + 7, col0);
        }
        else
        {
            var vb = Vector512.Create(beta);
            if (TRows.N > 0) Update(c + 0 * ldc, c00, c01, va, vb, epilogue, row0 + 0, col0);
            if (TRows.N > 1) Update(c + 1 * ldc, c10, c11, va, vb, epilogue, row0 + 1, col0);
            if (TRows.N > 2) Update(c + 2 * ldc, c20, c21, va, vb, epilogue, row0 + 2, col0);
            if (TRows.N > 3) Update(c + 3 * ldc, c30, c31, va, vb, epilogue, row0 + 3, col0);
            if (TRows.N > 4) Update(c + 4 * ldc, c40, c41, va, vb, epilogue, row0 + 4, col0);
            if (TRows.N > 5) Update(c + 5 * ldc, c50, c51, va, vb, epilogue, row0 + 5, col0);
            if (TRows.N > 6) Update(c + 6 * ldc, c60, c61, va, vb, epilogue, row0 + 6, col0);
            if (TRows.N > 7) Update(c + 7 * ldc, c70, c71, va, vb, epilogue, row0 + 7, col0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TEpilogue>(float* c, Vector512<float> x0, Vector512<float> x1, in TEpilogue epilogue, int row, int col0)
        where TEpilogue : struct, IGemmEpilogue
    {
        epilogue.Apply(x0, row, col0).Store(c);
        epilogue.Apply(x1, row, col0 + 16).Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<TEpilogue>(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> va, Vector512<float> vb,
        in TEpilogue epilogue, int row, int col0) where TEpilogue : struct, IGemmEpilogue
    {
        epilogue.Apply(Vector512.FusedMultiplyAdd(x0, va, Vector512.Load(c) * vb), row, col0).Store(c);
        epilogue.Apply(Vector512.FusedMultiplyAdd(x1, va, Vector512.Load(c + 16) * vb), row, col0 + 16).Store(c + 16);
    }
}
