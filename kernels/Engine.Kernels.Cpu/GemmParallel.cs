namespace Engine.Kernels.Cpu;

/// <summary>The multi-threaded GEMM for one matrix: per K block, all of op(A) is packed once (its row panels split
/// over the workers) into a buffer every worker reads, then the workers take column chunks of C from a shared counter,
/// each packing only its chunk of op(B). Nothing is packed twice, and a worker that the OS delays (the machine is
/// shared, or the runtime's own threads run) simply takes fewer chunks instead of holding up a static split.</summary>
internal static unsafe class GemmParallel<TKernel> where TKernel : struct, IGemmMicroKernel
{
    /// <summary>Column chunks wanted per worker: enough to balance a late worker, few enough that each chunk's packed
    /// B panel is long (packing cost per element falls with chunk width).</summary>
    private const int ChunksPerWorker = 4;

    /// <summary>Whether this scheduler applies: enough column panels to give every worker several chunks.</summary>
    public static bool Suits(int n, int threads) => (n + TKernel.NR - 1) / TKernel.NR >= 2 * threads;

    public static void Run<TPackB>(bool transA, int m, int n, int k, float alpha, float* a, int lda, TPackB packB,
        float beta, float* c, int ldc, int threads) where TPackB : struct, IGemmPackB
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        int kcMax = Math.Min(TKernel.KC, k);
        int mPad = RoundUp(m, mr);
        int rowPanels = mPad / mr;
        int panels = (n + nr - 1) / nr;
        int chunkPanels = Math.Max(1, Math.Min(TKernel.NC / nr, (panels + threads * ChunksPerWorker - 1) / (threads * ChunksPerWorker)));
        int chunkCols = chunkPanels * nr;
        int chunks = (n + chunkCols - 1) / chunkCols;
        // The caller's pack buffer holds the shared A block; workers use their own thread's B buffer.
        long panelStride = (long)mr * kcMax + 8; // slack between panels: see GemmPacking.PackA
        float* ap = PackBuffers.Current.Shared(rowPanels * panelStride + 16);
        var counter = new int[1];

        for (int pc = 0; pc < k; pc += kcMax)
        {
            int kc = Math.Min(kcMax, k - pc);
            float betaBlock = pc == 0 ? beta : 1f;
            int packWorkers = Math.Min(threads, rowPanels);
            KernelThreading.For(packWorkers, t =>
            {
                int p0 = (int)((long)rowPanels * t / packWorkers), p1 = (int)((long)rowPanels * (t + 1) / packWorkers);
                if (p1 > p0)
                    GemmPacking.PackA(transA, a, lda, p0 * mr, pc, Math.Min(m, p1 * mr) - p0 * mr, kc, mr, ap + p0 * panelStride, panelStride);
            });

            counter[0] = -1;
            KernelThreading.For(Math.Min(threads, chunks), _ =>
            {
                float* bp = PackBuffers.Current.B((long)chunkCols * kc + 16);
                float* tile = stackalloc float[mr * nr];
                int chunk;
                while ((chunk = Interlocked.Increment(ref counter[0])) < chunks)
                {
                    int j0 = chunk * chunkCols, nc = Math.Min(chunkCols, n - j0);
                    packB.Pack(pc, j0, kc, nc, nr, bp);
                    MultiplyChunk(m, kc, alpha, betaBlock, ap, panelStride, bp, c + j0, ldc, nc, tile);
                }
            });
        }
    }

    /// <summary>C[0..m, 0..nc] (+)= A block x B chunk, A rows in MC blocks so each block stays in L2 while the B
    /// micro-panels (L1) pass over it.</summary>
    private static void MultiplyChunk(int m, int kc, float alpha, float beta, float* ap, long panelStride, float* bp, float* c, int ldc,
        int nc, float* tile)
    {
        int mr = TKernel.MR, nr = TKernel.NR, mcMax = RoundUp(TKernel.MC, mr);
        for (int ic = 0; ic < m; ic += mcMax)
        {
            int mc = Math.Min(mcMax, m - ic);
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                float* bPanel = bp + (long)jr * kc;
                for (int ir = ic; ir < ic + mc; ir += mr)
                {
                    int rows = Math.Min(mr, m - ir);
                    float* aPanel = ap + ir / mr * panelStride;
                    float* cTile = c + (long)ir * ldc + jr;
                    if (rows == mr && cols == nr)
                        TKernel.Run(kc, aPanel, bPanel, cTile, ldc, alpha, beta);
                    else
                        GemmBlocked<TKernel>.EdgeTile(kc, aPanel, bPanel, cTile, ldc, alpha, beta, rows, cols, tile);
                }
            }
        }
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;
}
