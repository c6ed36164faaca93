namespace Engine.Kernels.Cpu;

/// <summary>The multi-threaded GEMM for one matrix: all of op(A) is packed once (its row panels split over the
/// workers) into a buffer every worker reads, then the workers take column chunks of C from a shared counter (smaller
/// ones towards the end, see <see cref="ClaimPanels"/>), each
/// packing only its chunk of op(B), one K block at a time. Nothing is packed twice, and a worker that the OS delays (the machine is
/// shared, or the runtime's own threads run) simply takes fewer chunks instead of holding up a static split.</summary>
internal static unsafe class GemmParallel<TKernel> where TKernel : struct, IGemmMicroKernel
{
    /// <summary>Whether this scheduler applies: enough column panels to give every worker several chunks
    /// (<see cref="GemmTuning.MinPanelsPerWorker"/>).</summary>
    public static bool Suits(int n, int threads) => (n + TKernel.NR - 1) / TKernel.NR >= GemmTuning.MinPanelsPerWorker * threads;

    public static void Run<TPackB, TEpilogue>(bool transA, int m, int n, int k, float alpha, float* a, int lda, TPackB packB,
        float beta, float* c, int ldc, int threads, TEpilogue epilogue) where TPackB : struct, IGemmPackB where TEpilogue : struct, IGemmEpilogue
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        int kcMax = packB.DepthBlock > 0 ? packB.DepthBlock : Math.Min(TKernel.KC, k);
        int mPad = RoundUp(m, mr);
        int rowPanels = mPad / mr;
        int panels = (n + nr - 1) / nr;
        // Chunks narrow enough that a packed B chunk stays in L2 next to the A block the micro-kernels stream.
        int l2Panels = Math.Max(1, GemmTuning.ChunkFloats / (kcMax * nr));
        int chunkPanels = Math.Max(1, Math.Min(l2Panels, (panels + threads * GemmTuning.ChunksPerWorker - 1) / (threads * GemmTuning.ChunksPerWorker)));
        int chunkCols = chunkPanels * nr;
        int chunks = (n + chunkCols - 1) / chunkCols;
        // All of op(A) is packed once, K block after K block, into the caller's shared buffer (every worker reads it);
        // workers then own column chunks through every K block, so a chunk of C stays in cache across the K blocks.
        long panelStride = (long)mr * kcMax + 8; // slack between panels: see GemmPacking.PackA
        int kBlocks = (k + kcMax - 1) / kcMax;
        long blockStride = rowPanels * panelStride;
        // The balanced remainder tiles stay inside the last row block of MultiplyChunk.
        int mcShared = RoundUp(GemmTuning.McSharedA, mr);
        var tiles = new GemmRowTiles(m, mr, Math.Min(GemmRowTiles.DefaultTail, rowPanels - (m - 1) / mcShared * mcShared / mr));
        // A row-major A is read in place by a kernel that can (see GemmTuning.DirectA): no packing pass and no shared
        // buffer that both workers write and then read.
        bool direct = !transA && TKernel.DirectA && GemmTuning.DirectA;
        float* ap = null;
        if (!direct)
        {
            ap = PackBuffers.Current.Shared(kBlocks * blockStride + 16);
            int packParts = Math.Min(threads, rowPanels);
            KernelThreading.For(kBlocks * packParts, item =>
            {
                int kb = item / packParts, t = item % packParts, pc = kb * kcMax;
                int p0 = (int)((long)rowPanels * t / packParts), p1 = (int)((long)rowPanels * (t + 1) / packParts);
                if (p1 > p0)
                    tiles.PackA(transA, a, lda, 0, pc, Math.Min(kcMax, k - pc), p0, p1, ap + kb * blockStride + p0 * panelStride, panelStride);
            });
        }

        // The last panels (one per worker) are shared out by rows as well: a single panel of a K = 3072 product is
        // ~7 % of a worker's share, too coarse a last step for both workers to finish together. Measured at 485 rows
        // (as in ClaimPanels): idle 1.0-1.3 -> 0.6 % (fc2), 1.2-1.6 -> 0.4-0.5 % (out-proj), 0.4-0.8 -> 0.3 % (q/k/v).
        int tailPanels = panels > threads && tiles.Count >= 2 * threads ? threads : 0;
        var next = new int[2]; // [0]: next column panel (ClaimPanels), [1]: next tail unit
        KernelThreading.For(Math.Min(threads, chunks), _ =>
        {
            float* bp = PackBuffers.Current.B((long)chunkCols * kcMax + 16);
            float* tile = stackalloc float[mr * nr];
            while (ClaimPanels(next, panels - tailPanels, chunkPanels, threads, out int firstPanel, out int count))
                Chunk(firstPanel, count, 0, tiles.Count);
            int unit;
            while ((unit = Interlocked.Increment(ref next[1]) - 1) < tailPanels * threads)
            {
                int part = unit % threads; // each tail panel in one row range per worker
                Chunk(panels - tailPanels + unit / threads, 1, tiles.Count * part / threads, tiles.Count * (part + 1) / threads);
            }

            // Columns [first, first + count) panels, row tiles [t0, t1), through every K block (the last one applies the
            // epilogue, tile by tile).
            void Chunk(int first, int count, int t0, int t1)
            {
                int j0 = first * nr, nc = Math.Min(count * nr, n - j0);
                for (int kb = 0; kb < kBlocks; kb++)
                {
                    int pc = kb * kcMax, kc = Math.Min(kcMax, k - pc);
                    float* bPanels = packB.Prepacked(pc, j0, kc);
                    bool fromMemory = bPanels != null;
                    if (bPanels == null) { packB.Pack(pc, j0, kc, nc, nr, bp); bPanels = bp; }
                    var aBlock = direct ? new ABlock(a + pc, lda, 0) : new ABlock(ap + kb * blockStride, 0, panelStride);
                    MultiplyChunk(tiles, t0, t1, kc, alpha, pc == 0 ? beta : 1f, aBlock, bPanels, fromMemory, c, ldc, j0, nc, tile,
                        epilogue, final: kb == kBlocks - 1);
                }
            }
        });
    }

    /// <summary>Claims the next column chunk [first, first + count) of the <paramref name="panels"/> column panels
    /// (the counter is next[0]):
    /// <paramref name="maxPanels"/> while plenty remain, then fewer (guided: about remaining / (2 x workers)) down to
    /// single panels at the tail, so the workers finish together instead of one waiting up to a whole chunk for the
    /// other. Measured at 485 rows (2 workers, time between the two workers' finish over the product's time, halved):
    /// 0.9-2.7 % -> 0.3-1.0 % idle; chains of the ViT products at 485 rows +0.3 to +3 % median (6 interleaved runs),
    /// at 197 rows neutral to +4 %.</summary>
    internal static bool ClaimPanels(int[] next, int panels, int maxPanels, int workers, out int first, out int count)
    {
        while (true)
        {
            int start = Volatile.Read(ref next[0]);
            if (start >= panels) { first = count = 0; return false; }
            int take = Math.Clamp((panels - start + 2 * workers - 1) / (2 * workers), 1, maxPanels);
            if (Interlocked.CompareExchange(ref next[0], start + take, start) == start) { first = start; count = take; return true; }
        }
    }

    /// <summary>C[rows of tiles tFirst..tEnd, j0..j0 + nc] (+)= A block x B chunk, A rows in blocks of <see cref="GemmTuning.McSharedA"/> that stay
    /// in cache while the B micro-panels pass over them. <paramref name="bFromMemory"/>: B is a prepacked weight read
    /// in place (not just packed into cache), so each panel's first tile streams it (<see cref="IGemmMicroKernel.RunStreamingB"/>).
    /// <paramref name="final"/> (the last K block): the epilogue runs on each micro-tile, on the accumulators as the
    /// micro-kernel stores them where the epilogue allows it (<see cref="IGemmEpilogue.InRegisters"/>: a Linear's bias,
    /// ReLU and residual; +1-3 % on the ViT's 768-deep products, +9-22 % on CLIPSeg's 64-deep decoder products, see
    /// LinearEpilogue), else on the stored tile (in L1), and is asked to prefetch what it
    /// reads there (a residual) just before the tile's K loop, so those lines arrive while the tile computes. History,
    /// measured on cold-weight products, 2 threads, interleaved:
    /// applied to a whole chunk at the end, a K = 64 product's chunk (485 x 256 floats) had left L2 (per 198 x 16
    /// strip instead: CLIPSeg's decoder MLP 485 x 64 x 2048 + bias + ReLU 0.76-0.85x time in 4 of 5 runs); per strip,
    /// a residual add still waited on its rows (3 KB apart, from L3): the ViT's out-projection 485 x 768 x 768 + bias +
    /// residual ran at 124-138 GFLOPS against 151-164 for the plain product. Per tile with the prefetch: 144-152
    /// (residual prefetched per tile but added per strip: 146-149); bias-only and QuickGELU epilogues +1-3 %, the
    /// decoder's K = 64 MLP unchanged. In the CLIPSeg forward, the out-projection's share of the step 7.5-7.8 % ->
    /// 6.8-7.0 %. The static split (tall products, GemmBlocked) applies its epilogue to whole rows afterwards, where the
    /// residual streams contiguously.</summary>
    private static void MultiplyChunk<TEpilogue>(GemmRowTiles tiles, int tFirst, int tEnd, int kc, float alpha, float beta, ABlock ab, float* bp, bool bFromMemory,
        float* c, int ldc, int j0, int nc, float* tile, TEpilogue epilogue, bool final) where TEpilogue : struct, IGemmEpilogue
    {
        int mr = TKernel.MR, nr = TKernel.NR, tilesPerBlock = RoundUp(GemmTuning.McSharedA, mr) / mr;
        for (int t0 = tFirst; t0 < tEnd; t0 += tilesPerBlock)
        {
            int t1 = Math.Min(tEnd, t0 + tilesPerBlock);
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                float* bPanel = bp + (long)jr * kc;
                float* next = GemmBlocked<TKernel>.NextPanel(bFromMemory && t0 == tFirst, bPanel, jr, nc, kc);
                for (int t = t0; t < t1; t++)
                {
                    int row = tiles.Start(t), rows = tiles.Rows(t);
                    float* cTile = c + (long)row * ldc + j0 + jr;
                    bool streamB = bFromMemory && t == tFirst;
                    float* prefetchNext = GemmBlocked<TKernel>.PrefetchSlice(next, t - tFirst, kc);
                    if (final) epilogue.Prefetch(row, rows, j0 + jr, cols);
                    if (ab.Lda > 0)
                        GemmBlocked<TKernel>.TileFinalDirect(kc, ab.Start + (long)row * ab.Lda, ab.Lda, bPanel, cTile, ldc, alpha, beta, rows, cols, tile,
                            streamB, prefetchNext, epilogue, final, row, j0 + jr);
                    else if (final)
                        GemmBlocked<TKernel>.TileFinal(kc, ab.Start + t * ab.PanelStride, bPanel, cTile, ldc, alpha, beta, rows, cols, tile, streamB,
                            prefetchNext, epilogue, row, j0 + jr);
                    else GemmBlocked<TKernel>.Tile(kc, ab.Start + t * ab.PanelStride, bPanel, cTile, ldc, alpha, beta, rows, cols, tile, streamB, prefetchNext);
                }
            }
        }
    }

    /// <summary>The A operand of one K block: packed panels (<see cref="PanelStride"/> apart, <see cref="Lda"/> 0) or
    /// the rows in place (<see cref="Lda"/> &gt; 0, from column pc of row 0).</summary>
    private readonly struct ABlock(float* start, int lda, long panelStride)
    {
        public readonly float* Start = start;
        public readonly int Lda = lda;
        public readonly long PanelStride = panelStride;
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;
}
