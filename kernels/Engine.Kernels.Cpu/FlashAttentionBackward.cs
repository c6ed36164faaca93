using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>The fused attention backward pass (FlashAttention-2 order: one task per (head, key block), looping over
/// query blocks). Products are arranged so the micro-kernel's output tiles land directly in the panel layout the next
/// product reads: P and dS come out as B panels [key panel][query][NR]; dV and dK are accumulated transposed
/// (dV^T += dO^T P, dK^T += Q^T dS) and transposed once per task; dQ += dS K needs one repack of dS per block
/// and is added in key-block order (a ticket per query block), so results are the same bits on every run. Q and dO are packed once per head in both layouts they are read in.</summary>
internal static unsafe class FlashAttentionBackward<TKernel> where TKernel : struct, IGemmMicroKernel
{
    private static int QueryBlock => TKernel.MR * 16;
    private static int KeyBlock => TKernel.NR * 6;

    private sealed class Job
    {
        public int Heads, Tq, Tk, D, QBlocks, KBlocks;
        public float Scale;
        public bool Causal;
        public AttentionMask? Mask;
        public float* MaskValues, Q, K, V, Lse, DOut, DQ, DK, DV, RowDot;
        /// <summary>Per (head, query block): the key block whose turn it is to add to dQ. Then one flag: a task failed.</summary>
        public int* Tickets;
        public int* Failed;
        /// <summary>Per head: Q and dO as A panels over all queries ([query panel][d][MR]), and per query block as
        /// transposed A panels ([d panel][query][MR]).</summary>
        public float* QA, DoA, QAT, DoAT;
        public long RowsStride, BlockStride;
    }

    public static void Run(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
        float* q, float* k, float* v, AttentionMask? mask, float* maskValues, float* lse, float* dOut, float* rowDot,
        float* dQ, float* dK, float* dV)
    {
        int mr = TKernel.MR, bqMax = QueryBlock;
        int dPadA = RoundUp(d, mr);
        int qBlocks = (tq + bqMax - 1) / bqMax, kBlocks = (tk + KeyBlock - 1) / KeyBlock;
        long rowsStride = (long)RoundUp(tq, mr) * d + 16, blockStride = (long)qBlocks * dPadA * bqMax + 16;
        long packedFloats = 2L * batchHeads * (rowsStride + blockStride);
        if (packedFloats > int.MaxValue) throw new ArgumentException("Attention: Q/dO too large to pack.");
        float[] packed = ArrayPool<float>.Shared.Rent((int)packedFloats);
        int[] tickets = ArrayPool<int>.Shared.Rent(batchHeads * qBlocks + 1);
        Array.Clear(tickets, 0, batchHeads * qBlocks + 1);
        try
        {
            fixed (float* pp = packed)
            fixed (int* pt = tickets)
            {
                var job = new Job
                {
                    Heads = heads, Tq = tq, Tk = tk, D = d, QBlocks = qBlocks, KBlocks = kBlocks, Scale = scale, Causal = causal,
                    Mask = mask, MaskValues = maskValues, Q = q, K = k, V = v, Lse = lse, DOut = dOut, DQ = dQ, DK = dK, DV = dV,
                    RowDot = rowDot, Tickets = pt, Failed = pt + batchHeads * qBlocks, RowsStride = rowsStride, BlockStride = blockStride,
                    QA = pp, DoA = pp + batchHeads * rowsStride,
                    QAT = pp + 2 * batchHeads * rowsStride, DoAT = pp + 2 * batchHeads * rowsStride + batchHeads * blockStride,
                };
                long flops = 10L * batchHeads * tq * tk * d;
                int packWorkers = flops < (1 << 20) ? 1 : Math.Min(KernelThreading.MaxThreads, batchHeads);
                KernelThreading.For(packWorkers, w =>
                {
                    for (int bh = batchHeads * w / packWorkers; bh < batchHeads * (w + 1) / packWorkers; bh++)
                        PackHead(job, bh);
                });
                int tasks = batchHeads * kBlocks;
                int workers = flops < (1 << 20) ? 1 : Math.Min(KernelThreading.MaxThreads, tasks);
                int next = 0;
                KernelThreading.For(workers, _ =>
                {
                    float[] scratch = ArrayPool<float>.Shared.Rent(ScratchFloats(d));
                    try
                    {
                        fixed (float* s = scratch)
                        {
                            int t;
                            // Key block after key block, every head's in turn: consecutive tasks belong to different
                            // heads, so a task rarely waits for its head's previous key block to add its dQ (head by
                            // head, the two workers ran neighbouring key blocks in lockstep: backward ~10 % slower).
                            while ((t = Interlocked.Increment(ref next) - 1) < tasks)
                                KeyBlockTask(job, t % batchHeads, t / batchHeads, s);
                        }
                    }
                    catch { Volatile.Write(ref *job.Failed, 1); throw; } // a task waiting for this one's turn stops too
                    finally { ArrayPool<float>.Shared.Return(scratch); }
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
            ArrayPool<int>.Shared.Return(tickets);
        }
    }

    private static void PackHead(Job job, int bh)
    {
        int mr = TKernel.MR, d = job.D, tq = job.Tq, bqMax = QueryBlock, dPadA = RoundUp(d, mr);
        float* qHead = job.Q + (long)bh * tq * d, doHead = job.DOut + (long)bh * tq * d;
        GemmPacking.PackA(false, qHead, d, 0, 0, tq, d, mr, job.QA + bh * job.RowsStride);
        GemmPacking.PackA(false, doHead, d, 0, 0, tq, d, mr, job.DoA + bh * job.RowsStride);
        for (int qb = 0; qb < job.QBlocks; qb++)
        {
            int q0 = qb * bqMax, bq = Math.Min(bqMax, tq - q0);
            long off = bh * job.BlockStride + (long)qb * dPadA * bqMax;
            GemmPacking.PackA(true, qHead + (long)q0 * d, d, 0, 0, d, bq, mr, job.QAT + off);
            GemmPacking.PackA(true, doHead + (long)q0 * d, d, 0, 0, d, bq, mr, job.DoAT + off);
        }
    }

    private static int ScratchFloats(int d)
    {
        int mr = TKernel.MR, nr = TKernel.NR, bq = QueryBlock, bk = KeyBlock;
        return 2 * bq * bk          // P, dS in [key panel][query][NR]
             + bq * bk + 16         // dS repacked as A panels
             + 2 * bk * d           // K^T and V^T as B panels
             + RoundUp(d, nr) * bk  // K as B panels over d
             + 2 * RoundUp(d, mr) * bk // dV^T, dK^T accumulators
             + mr * nr + 64;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KeyBlockTask(Job job, int bh, int kb, float* scratch)
    {
        int mr = TKernel.MR, nr = TKernel.NR, d = job.D, tq = job.Tq, tk = job.Tk, bqMax = QueryBlock, bkMax = KeyBlock;
        int dPadA = RoundUp(d, mr), dPadB = RoundUp(d, nr);
        int k0 = kb * bkMax, bk = Math.Min(bkMax, tk - k0), kPanels = (bk + nr - 1) / nr, bkPad = kPanels * nr;
        float* p = scratch, ds = p + bqMax * bkMax, dsA = ds + bqMax * bkMax;
        float* kT = dsA + bqMax * bkMax + 16, vT = kT + bkMax * d, kB = vT + bkMax * d;
        float* dvT = kB + dPadB * bkMax, dkT = dvT + dPadA * bkMax, tile = dkT + dPadA * bkMax;

        float* kBlk = job.K + ((long)bh * tk + k0) * d, vBlk = job.V + ((long)bh * tk + k0) * d;
        GemmPacking.PackB(true, kBlk, d, 0, 0, d, bk, nr, kT);
        GemmPacking.PackB(true, vBlk, d, 0, 0, d, bk, nr, vT);
        GemmPacking.PackB(false, kBlk, d, 0, 0, bk, d, nr, kB);
        new Span<float>(dvT, dPadA * bkPad).Clear();
        new Span<float>(dkT, dPadA * bkPad).Clear();
        float* qA = job.QA + bh * job.RowsStride, doA = job.DoA + bh * job.RowsStride;

        int firstQb = job.Causal ? k0 / bqMax : 0; // earlier queries see none of these keys
        for (int qb = firstQb; qb < job.QBlocks; qb++)
        {
            int q0 = qb * bqMax, bq = Math.Min(bqMax, tq - q0), qPanels = (bq + mr - 1) / mr;
            long blockOff = bh * job.BlockStride + (long)qb * dPadA * bqMax;
            float* qAT = job.QAT + blockOff, doAT = job.DoAT + blockOff;

            // S = scale * Q K^T and dP = dO V^T, tiles straight into [key panel][query][NR].
            for (int jk = 0; jk < kPanels; jk++)
                for (int iq = 0; iq < qPanels; iq++)
                {
                    long cOff = (long)jk * bqMax * nr + iq * mr * nr;
                    TKernel.Run(d, qA + (long)(q0 + iq * mr) * d, kT + (long)jk * nr * d, p + cOff, nr, job.Scale, 0f);
                    TKernel.Run(d, doA + (long)(q0 + iq * mr) * d, vT + (long)jk * nr * d, ds + cOff, nr, 1f, 0f);
                }
            Probabilities(job, bh, q0, bq, k0, bk, p, ds);

            // dV^T += dO^T P ; dK^T += scale * Q^T dS (k-steps are the bq queries).
            for (int id = 0; id < dPadA / mr; id++)
                for (int jk = 0; jk < kPanels; jk++)
                {
                    long bOff = (long)jk * bqMax * nr;
                    TKernel.Run(bq, doAT + (long)id * mr * bq, p + bOff, dvT + (long)id * mr * bkPad + jk * nr, bkPad, 1f, 1f);
                    TKernel.Run(bq, qAT + (long)id * mr * bq, ds + bOff, dkT + (long)id * mr * bkPad + jk * nr, bkPad, job.Scale, 1f);
                }

            // dQ += scale * dS K: repack dS (queries x keys) as A panels, then add under the block's lock.
            for (int iq = 0; iq < qPanels; iq++)
                for (int jk = 0; jk < kPanels; jk++)
                    GemmPacking.PackA(false, ds + (long)jk * bqMax * nr, nr, iq * mr, 0, Math.Min(mr, bq - iq * mr),
                        Math.Min(nr, bk - jk * nr), mr, dsA + (long)iq * bk * mr + jk * nr * mr);
            float* dqBlk = job.DQ + ((long)bh * tq + q0) * d;
            // The key blocks add to this query block's dQ in their own order (0, 1, ...), whichever worker finishes
            // first: the ticket holds the next key block's turn. A free-for-all lock made dQ's sums - and so training
            // runs - differ in the last bits from run to run. The contributors to a query block are always key
            // blocks 0..n (causal masking skips a suffix), and tasks are claimed in key-block order, so the key
            // block a task waits for was claimed earlier and is running or done: no deadlock.
            int* ticket = job.Tickets + (long)bh * job.QBlocks + qb;
            var spin = new SpinWait();
            while (Volatile.Read(ref *ticket) != kb)
            {
                if (Volatile.Read(ref *job.Failed) != 0) throw new InvalidOperationException("Attention backward: another task failed.");
                spin.SpinOnce(sleep1Threshold: -1);
            }
            for (int iq = 0; iq < qPanels; iq++)
                for (int jd = 0; jd < dPadB / nr; jd++)
                    Tile(bk, dsA + (long)iq * bk * mr, kB + (long)jd * nr * bk, dqBlk + (long)iq * mr * d + jd * nr, d,
                        Math.Min(mr, bq - iq * mr), Math.Min(nr, d - jd * nr), job.Scale, tile);
            Volatile.Write(ref *ticket, kb + 1);
        }

        // dK, dV rows of this key block = transposed accumulators.
        float* dkBlk = job.DK + ((long)bh * tk + k0) * d, dvBlk = job.DV + ((long)bh * tk + k0) * d;
        GemmPacking.Transpose(dkT, bkPad, d, bk, dkBlk, d);
        GemmPacking.Transpose(dvT, bkPad, d, bk, dvBlk, d);
    }

    /// <summary>P = exp(S + mask - lse) (0 where masked, causal-hidden, past the last key, or for rows with nothing
    /// visible) and dS = P * (dP - rowDot), both in [key panel][query][NR] layout, rows [0, bq).</summary>
    private static void Probabilities(Job job, int bh, int q0, int bq, int k0, int bk, float* p, float* ds)
    {
        int nr = TKernel.NR, bqMax = QueryBlock, kPanels = (bk + nr - 1) / nr;
        float* maskValues = job.MaskValues;
        for (int r = 0; r < bq; r++)
        {
            int query = q0 + r;
            long row = (long)bh * job.Tq + query;
            float lse = job.Lse[row];
            var vLse = Vector256.Create(float.IsNegativeInfinity(lse) ? float.PositiveInfinity : lse); // exp(-inf) = 0
            var vDot = Vector256.Create(job.RowDot[row]);
            float* maskRow = job.Mask is { } mk ? maskValues + mk.RowStart(bh, job.Heads, query) + k0 : null;
            // Keys visible to this query in the block: all bk, or up to the query itself when causal.
            int visible = job.Causal ? Math.Clamp(query - k0 + 1, 0, bk) : bk;
            for (int jk = 0; jk < kPanels; jk++)
            {
                float* pr = p + (long)jk * bqMax * nr + r * nr, dr = ds + (long)jk * bqMax * nr + r * nr;
                int keyBase = jk * nr;
                for (int ch = 0; ch < nr; ch += 8)
                {
                    int key = keyBase + ch;
                    var s = Vector256.Load(pr + ch);
                    if (key + 8 <= visible)
                    {
                        if (maskRow != null) s += Vector256.Load(maskRow + key);
                        var e = FastExp.Exp(s - vLse);
                        e.Store(pr + ch);
                        (e * (Vector256.Load(dr + ch) - vDot)).Store(dr + ch);
                    }
                    else
                    {
                        for (int lane = 0; lane < 8; lane++)
                        {
                            int kk = key + lane;
                            float pv = 0f;
                            if (kk < visible)
                            {
                                float x = pr[ch + lane] + (maskRow != null ? maskRow[kk] : 0f) - vLse.GetElement(0);
                                pv = FastExp.Exp(Vector256.Create(x)).GetElement(0);
                            }
                            pr[ch + lane] = pv;
                            dr[ch + lane] = pv * (dr[ch + lane] - vDot.GetElement(0));
                        }
                    }
                }
            }
        }
    }

    /// <summary>C[rows x cols] += alpha * (A panel x B panel) for one micro-tile, through a scratch tile when ragged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, float alpha, float* tile)
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        if (rows == mr && cols == nr)
        {
            TKernel.Run(kc, a, b, c, ldc, alpha, 1f);
            return;
        }
        TKernel.Run(kc, a, b, tile, nr, alpha, 0f);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) c[(long)i * ldc + j] += tile[i * nr + j];
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;
}
