using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>The fused attention forward pass, computed transposed so no operand is packed inside the key loop:
/// S^T = K Q^T comes out of the micro-kernel already in the panel layout the next product O^T += V^T P^T reads as
/// its B operand (keys x NR queries), and the online softmax runs down the key axis with NR queries per vector.
/// K is read in place (the A operand of S^T, rows as they are), V^T is packed as A panels per key block once per head,
/// Q^T once per query block.
/// Scores are kept in log2 units (the micro-kernel scales by scale x log2(e), the mask is added times log2(e)), so the
/// softmax takes 2^x (<see cref="FastExp.Exp2NonPositive"/>, cheaper than e^x) and the log-sum-exp is converted back
/// to natural units.</summary>
internal static unsafe class FlashAttentionForward<TKernel> where TKernel : struct, IGemmMicroKernel
{
    private static int QueryBlock => TKernel.NR * 6;
    /// <summary>Keys per block: ~200, so a ViT at 224 px (197 tokens) takes every key in one block (no online
    /// rescaling at all) and 485 tokens take two; a block of scores for one query block (96 x 198 floats, 74 KiB)
    /// still sits in L2. Measured against 96-key blocks: +4-5 % at 197 and 485 tokens, 1 and 2 threads.</summary>
    private static int KeyBlock => TKernel.MR * 33;

    private readonly struct Job
    {
        public required int Heads { get; init; }
        public required int Tq { get; init; }
        public required int Tk { get; init; }
        public required int D { get; init; }
        /// <summary>The caller's scale times log2(e): scores come out of the micro-kernel in log2 units.</summary>
        public required float Scale { get; init; }
        public required bool Causal { get; init; }
        public required AttentionMask? Mask { get; init; }
        public required nint MaskValues { get; init; }
        public required AttentionOperands Operands { get; init; }
        public required nint Lse { get; init; }
        public required nint VPacked { get; init; }
        public required long VStride { get; init; }
        public required int QBlock { get; init; }
        public required int KBlock { get; init; }
    }

    public static void Run(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
        AttentionOperands operands, AttentionMask? mask, float* maskValues, float* lse)
    {
        float* v = (float*)operands.V;
        int ldv = operands.VLayout.RowStride;
        int mr = TKernel.MR, nr = TKernel.NR;
        // Blocks evened out over the sequence: 485 keys as 2 x 246 rather than 2 x 198 + 89, whose last block would
        // pay a whole block's rescaling for a fraction of the keys.
        int bq = Balanced(tq, QueryBlock, nr), bkMax = Balanced(tk, KeyBlock, mr);
        int dPad = RoundUp(d, mr);
        int kBlocks = (tk + bkMax - 1) / bkMax, qBlocks = (tq + bq - 1) / bq;
        long vStride = (long)kBlocks * dPad * bkMax + 16;
        long packedFloats = batchHeads * vStride;
        float[] packed = ArrayPool<float>.Shared.Rent((int)Math.Min(packedFloats, int.MaxValue));
        if (packedFloats > int.MaxValue) throw new ArgumentException("Attention: K/V too large to pack.");
        try
        {
            fixed (float* pp = packed)
            {
                var job = new Job
                {
                    Heads = heads, Tq = tq, Tk = tk, D = d, Scale = scale * Log2E, Causal = causal, Mask = mask,
                    MaskValues = (nint)maskValues, Operands = operands, Lse = (nint)lse,
                    VPacked = (nint)pp, VStride = vStride, QBlock = bq, KBlock = bkMax,
                };
                long flops = 4L * batchHeads * tq * tk * d;
                int packWorkers = flops < (1 << 20) ? 1 : Math.Min(KernelThreading.MaxThreads, batchHeads);
                KernelThreading.For(packWorkers, w =>
                {
                    for (int bh = batchHeads * w / packWorkers; bh < batchHeads * (w + 1) / packWorkers; bh++)
                    {
                        float* vHead = v + operands.VLayout.HeadStart(bh, heads);
                        for (int kb = 0; kb < kBlocks; kb++)
                        {
                            int k0 = kb * bkMax, bk = Math.Min(bkMax, tk - k0);
                            GemmPacking.PackA(true, vHead + (long)k0 * ldv, ldv, 0, 0, d, bk, mr,
                                (float*)job.VPacked + bh * vStride + (long)kb * dPad * bkMax);
                        }
                    }
                });

                int tasks = batchHeads * qBlocks;
                int workers = flops < (1 << 20) ? 1 : Math.Min(KernelThreading.MaxThreads, tasks);
                int next = 0;
                KernelThreading.For(workers, _ =>
                {
                    long scratchFloats = (long)bq * d + 16 + (long)bq * bkMax + (long)bq * dPad + 3L * bq + TKernel.MR * TKernel.NR;
                    float[] scratch = ArrayPool<float>.Shared.Rent((int)scratchFloats);
                    try
                    {
                        fixed (float* s = scratch)
                        {
                            int t;
                            while ((t = Interlocked.Increment(ref next) - 1) < tasks)
                                QueryBlockTask(job, t / qBlocks, t % qBlocks, s);
                        }
                    }
                    finally { ArrayPool<float>.Shared.Return(scratch); }
                });
            }
        }
        finally { ArrayPool<float>.Shared.Return(packed); }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QueryBlockTask(in Job job, int bh, int qb, float* scratch)
    {
        int mr = TKernel.MR, nr = TKernel.NR, bkMax = job.KBlock, qBlock = job.QBlock, d = job.D, tq = job.Tq, tk = job.Tk;
        int dPad = RoundUp(d, mr);
        int q0 = qb * qBlock, bq = Math.Min(qBlock, tq - q0);
        int qPanels = (bq + nr - 1) / nr, dPanels = dPad / mr;
        float* qp = scratch;                              // Q^T panels: qPanels x d x nr
        float* st = qp + (long)qBlock * d + 16;           // S^T / P^T panels: qPanels x bkMax x nr
        float* ot = st + (long)qBlock * bkMax;            // O^T panels: qPanels x dPad x nr
        float* rowMax = ot + (long)qBlock * dPad, rowSum = rowMax + qBlock, corr = rowSum + qBlock, edgeTile = corr + qBlock;
        new Span<float>(rowMax, qPanels * nr).Fill(float.NegativeInfinity);
        new Span<float>(rowSum, qPanels * nr).Clear();
        var ops = job.Operands;
        int ldq = ops.QLayout.RowStride, ldo = ops.OutLayout.RowStride;
        GemmPacking.PackB(true, (float*)ops.Q + ops.QLayout.HeadStart(bh, job.Heads) + (long)q0 * ldq, ldq, 0, 0, d, bq, nr, qp);
        // K is read in place by the micro-kernel (its rows are the A operand of S^T = K Q^T: IGemmMicroKernel.RunFinalDirect),
        // so only V^T is packed. Measured in-model: packing was 6.5 % of the attention at 485 tokens, 13.5 % at 197.
        int ldk = ops.KLayout.RowStride;
        float* kHead = (float*)ops.K + ops.KLayout.HeadStart(bh, job.Heads), vPacked = (float*)job.VPacked + bh * job.VStride;

        int kEnd = job.Causal ? Math.Min(tk, q0 + bq) : tk;
        for (int k0 = 0; k0 < kEnd; k0 += bkMax)
        {
            int bk = Math.Min(bkMax, kEnd - k0), kPanels = (bk + mr - 1) / mr;
            bool first = k0 == 0;
            for (int jq = 0; jq < qPanels; jq++)
            {
                // S^T = scale * K Q^T for this query panel, tile by tile straight into P^T panel layout (ldc = nr);
                // panel by panel, so the softmax and the product below find it in L1.
                float* panel = st + (long)jq * bkMax * nr;
                for (int ik = 0; ik < kPanels; ik++)
                    TKernel.RunFinalDirect(Math.Min(mr, bk - ik * mr), d, kHead + (long)(k0 + ik * mr) * ldk, ldk, qp + (long)jq * nr * d,
                        panel + (long)ik * mr * nr, nr, job.Scale, 0f, streamB: false, next: null, default(NoEpilogue), 0, 0);
                int qFirst = q0 + jq * nr;
                Softmax(job, bh, qFirst, k0, bk, panel, rowMax + jq * nr, rowSum + jq * nr, corr + jq * nr);
                float* oPanel = ot + (long)jq * dPad * nr;
                if (!first)
                    for (int dim = 0; dim < d; dim++)
                        for (int ch = 0; ch < nr; ch += 8)
                            (Vector256.Load(oPanel + dim * nr + ch) * Vector256.Load(corr + jq * nr + ch)).Store(oPanel + dim * nr + ch);
                // O^T += V^T P^T
                // V^T panels were packed with the block's full key count (causal use may stop earlier).
                float* vBlock = vPacked + (long)(k0 / bkMax) * dPad * bkMax;
                int packedKeys = Math.Min(bkMax, tk - k0);
                // The last panel of dims may be padded (d = 64 is 10 x 6 + 4): only its real rows are computed.
                for (int id = 0; id < dPanels; id++)
                    GemmBlocked<TKernel>.Tile(bk, vBlock + (long)id * mr * packedKeys, panel, oPanel + (long)id * mr * nr, nr, 1f, first ? 0f : 1f,
                        Math.Min(mr, d - id * mr), nr, edgeTile, streamB: false);
            }
        }

        // output = O^T / rowSum transposed back; lse = max + log(sum). Rows with nothing visible get 0 and -inf.
        float* outBlock = (float*)ops.Output + ops.OutLayout.HeadStart(bh, job.Heads) + (long)q0 * ldo;
        float* lse = (float*)job.Lse;
        float* inv = corr; // free again: 1 / rowSum per query
        for (int i = 0; i < bq; i++)
        {
            float sum = rowSum[i];
            inv[i] = sum > 0 ? 1f / sum : 0f;
            if (lse != null) lse[(long)bh * tq + q0 + i] = sum > 0 ? rowMax[i] * Ln2 + MathF.Log(sum) : float.NegativeInfinity;
        }
        StoreOutput(ot, dPad, d, bq, inv, outBlock, ldo);
    }

    /// <summary>Output rows [0, bq) of a query block from the O^T panels (dims down, NR queries across), each scaled by
    /// its 1 / rowSum.</summary>
    private static void StoreOutput(float* ot, int dPad, int d, int bq, float* inv, float* outBlock, int ldo)
    {
        int nr = TKernel.NR;
        for (int q = 0; q < bq; q += nr)
            GemmPacking.Transpose(ot + (long)(q / nr) * dPad * nr, nr, d, Math.Min(nr, bq - q), outBlock + (long)q * ldo, ldo, inv + q);
    }

    /// <summary>Online-softmax step for nr queries (one panel, keys down the rows): adds the mask, applies causal
    /// masking, updates the running max and sum, and turns the scores into unnormalised probabilities in place.
    /// corr receives the factor the earlier output accumulation must be scaled by.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Softmax(in Job job, int bh, int qFirst, int k0, int bk, float* panel, float* rowMax, float* rowSum, float* corr)
    {
        int nr = TKernel.NR;
        float* maskValues = (float*)job.MaskValues;

        if (job.Mask is { } mask)
        {
            if (mask.RowStride == 0)
            {
                float* mrow = maskValues + mask.RowStart(bh, job.Heads, 0) + k0;
                for (int t = 0; t < bk; t++)
                {
                    var mv = Vector256.Create(MaskInLog2(mrow[t]));
                    for (int ch = 0; ch < nr; ch += 8)
                        (Vector256.Load(panel + t * nr + ch) + mv).Store(panel + t * nr + ch);
                }
            }
            else
            {
                for (int lane = 0; lane < nr; lane++)
                {
                    int query = Math.Min(qFirst + lane, job.Tq - 1); // padded lanes read a valid row; ignored later
                    float* mrow = maskValues + mask.RowStart(bh, job.Heads, query) + k0;
                    for (int t = 0; t < bk; t++) panel[t * nr + lane] += MaskInLog2(mrow[t]);
                }
            }
        }
        if (job.Causal && k0 + bk - 1 > qFirst)
        {
            // key > query is hidden: for key row t, lanes with qFirst + lane < k0 + t.
            for (int t = Math.Max(0, qFirst + 1 - k0); t < bk; t++)
            {
                int hidden = Math.Clamp(k0 + t - qFirst, 0, nr); // lanes [0, hidden) have query < key
                for (int lane = 0; lane < hidden; lane++) panel[t * nr + lane] = float.NegativeInfinity;
            }
        }
        int col = 0;
        // 16 queries at a time where the hardware has 512-bit units (the AVX-512 kernel's panels are 32 wide): the
        // same operations per lane as the 8-lane loop, so the same bits.
        if (Vector512.IsHardwareAccelerated)
            for (; col + 16 <= nr; col += 16) SoftmaxColumns16(panel + col, bk, nr, rowMax + col, rowSum + col, corr + col);
        for (; col < nr; col += 8) SoftmaxColumns8(panel + col, bk, nr, rowMax + col, rowSum + col, corr + col);
    }

    /// <summary>The online-softmax update of 8 queries (one column of the panel, keys down its rows of
    /// <paramref name="nr"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftmaxColumns8(float* column, int bk, int nr, float* rowMax, float* rowSum, float* corr)
    {
        var negInf = Vector256.Create(float.NegativeInfinity);
        // Block max of these queries in registers (two chains), not through memory: a running max kept in a
        // scratch array made every step wait for the previous store (measured 58 -> 61 % of peak at 485 tokens).
        // The hardware max (one instruction; the IEEE Vector256.Max is nine here): a NaN score it may drop from
        // the maximum still turns its own exp, the row sum and so the output into NaN.
        var m0 = negInf; var m1 = negInf;
        int k = 0;
        for (; k + 2 <= bk; k += 2)
        {
            m0 = Vector256.MaxNative(m0, Vector256.Load(column + k * nr));
            m1 = Vector256.MaxNative(m1, Vector256.Load(column + (k + 1) * nr));
        }
        if (k < bk) m0 = Vector256.MaxNative(m0, Vector256.Load(column + k * nr));
        var mOld = Vector256.Load(rowMax);
        var mNew = Vector256.MaxNative(mOld, Vector256.MaxNative(m0, m1));
        // A lane with nothing visible yet keeps max -inf; shift by 0 there so exp gives 0, not NaN.
        var shift = Vector256.ConditionalSelect(Vector256.Equals(mNew, negInf), Vector256<float>.Zero, mNew);
        var c = FastExp.Exp2NonPositive(mOld - shift);
        var sum0 = Vector256<float>.Zero; var sum1 = Vector256<float>.Zero;
        int t = 0;
        for (; t + 2 <= bk; t += 2)
        {
            var p0 = FastExp.Exp2NonPositive(Vector256.Load(column + t * nr) - shift);
            var p1 = FastExp.Exp2NonPositive(Vector256.Load(column + (t + 1) * nr) - shift);
            p0.Store(column + t * nr); p1.Store(column + (t + 1) * nr);
            sum0 += p0; sum1 += p1;
        }
        if (t < bk)
        {
            var p = FastExp.Exp2NonPositive(Vector256.Load(column + t * nr) - shift);
            p.Store(column + t * nr);
            sum0 += p;
        }
        (Vector256.Load(rowSum) * c + (sum0 + sum1)).Store(rowSum);
        mNew.Store(rowMax);
        c.Store(corr);
    }

    /// <summary><see cref="SoftmaxColumns8"/> for 16 queries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftmaxColumns16(float* column, int bk, int nr, float* rowMax, float* rowSum, float* corr)
    {
        var negInf = Vector512.Create(float.NegativeInfinity);
        var m0 = negInf; var m1 = negInf;
        int k = 0;
        for (; k + 2 <= bk; k += 2)
        {
            m0 = Vector512.MaxNative(m0, Vector512.Load(column + k * nr));
            m1 = Vector512.MaxNative(m1, Vector512.Load(column + (k + 1) * nr));
        }
        if (k < bk) m0 = Vector512.MaxNative(m0, Vector512.Load(column + k * nr));
        var mOld = Vector512.Load(rowMax);
        var mNew = Vector512.MaxNative(mOld, Vector512.MaxNative(m0, m1));
        var shift = Vector512.ConditionalSelect(Vector512.Equals(mNew, negInf), Vector512<float>.Zero, mNew);
        var c = FastExp.Exp2NonPositive(mOld - shift);
        var sum0 = Vector512<float>.Zero; var sum1 = Vector512<float>.Zero;
        int t = 0;
        for (; t + 2 <= bk; t += 2)
        {
            var p0 = FastExp.Exp2NonPositive(Vector512.Load(column + t * nr) - shift);
            var p1 = FastExp.Exp2NonPositive(Vector512.Load(column + (t + 1) * nr) - shift);
            p0.Store(column + t * nr); p1.Store(column + (t + 1) * nr);
            sum0 += p0; sum1 += p1;
        }
        if (t < bk)
        {
            var p = FastExp.Exp2NonPositive(Vector512.Load(column + t * nr) - shift);
            p.Store(column + t * nr);
            sum0 += p;
        }
        (Vector512.Load(rowSum) * c + (sum0 + sum1)).Store(rowSum);
        mNew.Store(rowMax);
        c.Store(corr);
    }

    private const float Log2E = 1.44269504088896341f, Ln2 = 0.693147180559945309f;

    /// <summary>A mask value in the scores' log2 units (NaN stays NaN). A finite one stays finite: masks such as PyTorch's
    /// finfo.min (-3.4e38) would overflow to -inf when scaled, and a row masked that way everywhere must still get
    /// equal weights (as in PyTorch), not the zero output of a row of -inf.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaskInLog2(float m) => float.IsInfinity(m) ? m : Math.Clamp(m * Log2E, -float.MaxValue, float.MaxValue);

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Block length near <paramref name="target"/> (at most 1.5x) that splits <paramref name="extent"/> evenly,
    /// rounded up to a multiple of the tile size.</summary>
    private static int Balanced(int extent, int target, int multiple)
    {
        int blocks = Math.Max(1, (int)Math.Round((double)extent / target, MidpointRounding.AwayFromZero));
        return RoundUp((extent + blocks - 1) / blocks, multiple);
    }
}
