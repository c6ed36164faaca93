namespace Engine.Kernels.Cpu;

/// <summary>The cache-blocked GEMM loop nest (BLIS order: NC columns -> KC depth -> pack B -> MC rows -> pack A ->
/// NR x MR micro-tiles) for one rectangular region of C, on the calling thread.</summary>
internal static unsafe class GemmBlocked<TKernel> where TKernel : struct, IGemmMicroKernel
{
    public static void Run(bool transA, bool transB, int m0, int m1, int n0, int n1, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => Run(transA, m0, m1, n0, n1, k, alpha, a, lda, new MatrixPackB(b, ldb, transB), beta, c, ldc);

    /// <summary>Same loop nest with op(B) supplied by a packer (a stored matrix, or one generated on the fly such as
    /// an implicit im2col matrix).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Run<TPackB>(bool transA, int m0, int m1, int n0, int n1, int k, float alpha,
        float* a, int lda, TPackB packB, float beta, float* c, int ldc) where TPackB : struct, IGemmPackB
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        int kcMax = packB.DepthBlock > 0 ? packB.DepthBlock : Math.Min(TKernel.KC, k);
        int mcMax = Math.Min(TKernel.MC, RoundUp(m1 - m0, mr));
        // Few rows (one MC block, e.g. convolutions with 64 output channels): pack all of A once up front, which
        // lets the column block shrink until packed B stays in L2 without re-packing A per column block.
        bool wholeA = m1 - m0 <= TKernel.MC && (long)RoundUp(m1 - m0, mr) * k <= GemmTuning.WholeAFloats;
        int ncMax = Math.Min(wholeA ? GemmTuning.NcFewRows : TKernel.NC, RoundUp(n1 - n0, nr));
        var buffers = PackBuffers.Current;
        float* ap = buffers.A((wholeA ? (long)RoundUp(mcMax, mr) * k : (long)RoundUp(mcMax, mr) * kcMax) + 16); // + slack, see GemmPacking
        float* bp = buffers.B((long)RoundUp(ncMax, nr) * kcMax + 16);
        float* tile = stackalloc float[mr * nr];
        int tail = GemmRowTiles.DefaultTail; // read once: packing and tile loops must cut the rows alike
        if (wholeA)
        {
            var all = new GemmRowTiles(m1 - m0, mr, tail);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                all.PackA(transA, a, lda, m0, pc, kc, 0, all.Count, ap + (long)RoundUp(m1 - m0, mr) * pc, (long)mr * kc);
            }
        }

        for (int jc = n0; jc < n1; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n1 - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                float betaBlock = pc == 0 ? beta : 1f;
                float* bBlock = packB.Prepacked(pc, jc, kc);
                bool bFromMemory = bBlock != null; // a prepacked weight: each panel's first tile streams it
                if (bBlock == null) { packB.Pack(pc, jc, kc, nc, nr, bp); bBlock = bp; }
                for (int ic = m0; ic < m1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m1 - ic);
                    var tiles = new GemmRowTiles(mc, mr, tail);
                    float* aBlock = ap;
                    if (wholeA) aBlock = ap + (long)RoundUp(m1 - m0, mr) * pc;
                    else tiles.PackA(transA, a, lda, ic, pc, kc, 0, tiles.Count, ap, (long)mr * kc);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        float* bPanel = bBlock + (long)jr * kc;
                        float* next = NextPanel(bFromMemory && ic == m0, bPanel, jr, nc, kc);
                        for (int t = 0; t < tiles.Count; t++)
                        {
                            float* aPanel = aBlock + (long)t * mr * kc;
                            float* cTile = c + (long)(ic + tiles.Start(t)) * ldc + jc + jr;
                            Tile(kc, aPanel, bPanel, cTile, ldc, alpha, betaBlock, tiles.Rows(t), cols, tile, streamB: bFromMemory && ic == m0 && t == 0,
                                prefetchNext: PrefetchSlice(next, t, kc));
                        }
                    }
                }
            }
        }
    }

    /// <summary>The B micro-panel after <paramref name="bPanel"/> in this block when the current one streams from memory
    /// (<paramref name="streaming"/>: a prepacked weight's first row block) and there is a next one, else null.</summary>
    public static float* NextPanel(bool streaming, float* bPanel, int jr, int nc, int kc)
        => streaming && GemmTuning.PrefetchNextPanel && jr + TKernel.NR < nc ? bPanel + (long)TKernel.NR * kc : null;

    /// <summary>What row tile <paramref name="tileIndex"/> over a streamed panel prefetches of the next one: tile 0 streams
    /// the panel itself, tiles 1 and 2 find it cached and fetch one half of the next panel each (so the next tile 0
    /// finds its panel on the way), later tiles nothing.</summary>
    public static float* PrefetchSlice(float* next, int tileIndex, int kc)
        => next != null && tileIndex is 1 or 2 ? next + (long)(tileIndex - 1) * kc * TKernel.NR / 2 : null;

    /// <summary>One micro-tile of C: the kernel straight into C when the tile is full (<paramref name="streamB"/>: the
    /// first tile over a B panel read from memory, see <see cref="IGemmMicroKernel.RunStreamingB"/>; a non-null
    /// <paramref name="prefetchNext"/>: a later tile that fetches part of the next panel, see <see cref="PrefetchSlice"/>),
    /// a tile of fewer rows through <see cref="IGemmMicroKernel.RunRows"/>, one of fewer columns through
    /// <see cref="EdgeTile"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void Tile(int kc, float* aPanel, float* bPanel, float* cTile, int ldc, float alpha, float beta,
        int rows, int cols, float* tile, bool streamB, float* prefetchNext = null)
    {
        if (cols < TKernel.NR || (rows < TKernel.MR && !GemmTuning.PartialRowTiles)) EdgeTile(kc, aPanel, bPanel, cTile, ldc, alpha, beta, rows, cols, tile, prefetchNext);
        else if (rows < TKernel.MR) TKernel.RunRows(rows, kc, aPanel, bPanel, cTile, ldc, alpha, beta, streamB, prefetchNext);
        else if (streamB) TKernel.RunStreamingB(kc, aPanel, bPanel, cTile, ldc, alpha, beta);
        else if (prefetchNext != null) TKernel.RunPrefetchingNext(kc, aPanel, bPanel, cTile, ldc, alpha, beta, prefetchNext);
        else TKernel.Run(kc, aPanel, bPanel, cTile, ldc, alpha, beta);
    }

    /// <summary><see cref="Tile"/> for the last K block, followed by <paramref name="epilogue"/> on the tile, whose
    /// top-left element is (row0, col0) of C: applied to the accumulators as the micro-kernel stores them where the
    /// tile spans all NR columns and the epilogue allows it (<see cref="IGemmEpilogue.InRegisters"/>), else to the
    /// stored tile.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void TileFinal<TEpilogue>(int kc, float* aPanel, float* bPanel, float* cTile, int ldc, float alpha, float beta,
        int rows, int cols, float* tile, bool streamB, float* prefetchNext, in TEpilogue epilogue, int row0, int col0)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (cols == TKernel.NR && (rows == TKernel.MR || GemmTuning.PartialRowTiles) && epilogue.InRegisters)
            TKernel.RunFinal(rows, kc, aPanel, bPanel, cTile, ldc, alpha, beta, streamB, prefetchNext, epilogue, row0, col0);
        else
        {
            Tile(kc, aPanel, bPanel, cTile, ldc, alpha, beta, rows, cols, tile, streamB, prefetchNext);
            epilogue.Apply(cTile, ldc, row0, rows, col0, cols);
        }
    }

    /// <summary>A tile of fewer than NR columns (and any rows): the kernel writes a full tile to scratch, then the valid
    /// part is merged into C.</summary>
    public static void EdgeTile(int kc, float* aPanel, float* bPanel, float* cTile, int ldc, float alpha, float beta,
        int rows, int cols, float* tile, float* prefetchNext = null)
    {
        int nr = TKernel.NR;
        if (prefetchNext != null) TKernel.RunPrefetchingNext(kc, aPanel, bPanel, tile, nr, 1f, 0f, prefetchNext);
        else TKernel.Run(kc, aPanel, bPanel, tile, nr, 1f, 0f);
        MergeTile(tile, cTile, ldc, alpha, beta, rows, cols);
    }

    /// <summary><see cref="TileFinal"/> with A read in place (<see cref="IGemmMicroKernel.RunFinalDirect"/>: row i of the
    /// tile at a + i * lda); the epilogue runs only when <paramref name="final"/>.</summary>
    public static void TileFinalDirect<TEpilogue>(int kc, float* a, int lda, float* bPanel, float* cTile, int ldc, float alpha, float beta,
        int rows, int cols, float* tile, bool streamB, float* prefetchNext, in TEpilogue epilogue, bool final, int row0, int col0)
        where TEpilogue : struct, IGemmEpilogue
    {
        int nr = TKernel.NR;
        if (cols == nr && final && epilogue.InRegisters)
        {
            TKernel.RunFinalDirect(rows, kc, a, lda, bPanel, cTile, ldc, alpha, beta, streamB, prefetchNext, epilogue, row0, col0);
            return;
        }
        if (cols == nr) TKernel.RunFinalDirect(rows, kc, a, lda, bPanel, cTile, ldc, alpha, beta, streamB, prefetchNext, default(NoEpilogue), 0, 0);
        else
        {
            TKernel.RunFinalDirect(rows, kc, a, lda, bPanel, tile, nr, 1f, 0f, false, null, default(NoEpilogue), 0, 0);
            MergeTile(tile, cTile, ldc, alpha, beta, rows, cols);
        }
        if (final) epilogue.Apply(cTile, ldc, row0, rows, col0, cols);
    }

    /// <summary>C = alpha * tile + beta * C over rows x cols, from a scratch tile of NR floats per row (the plain
    /// product of a ragged tile).</summary>
    private static void MergeTile(float* tile, float* cTile, int ldc, float alpha, float beta, int rows, int cols)
    {
        int nr = TKernel.NR;
        for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
        {
            float* cv = cTile + (long)i * ldc + j;
            float v = alpha * tile[i * nr + j];
            *cv = beta == 0 ? v : v + beta * *cv;
        }
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;
}
