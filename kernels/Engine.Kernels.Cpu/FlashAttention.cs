using System.Buffers;
using System.Numerics.Tensors;

namespace Engine.Kernels.Cpu;

/// <summary>Fused scaled-dot-product attention, FlashAttention style: softmax(scale * Q K^T + mask) V computed block
/// by block with an online softmax, so at most one QueryBlock x KeyBlock tile of scores exists per thread.
/// Layouts: q [BH, Tq, D], k and v [BH, Tk, D], output/dOutput/dQ [BH, Tq, D], dK/dV [BH, Tk, D], logSumExp
/// [BH, Tq], all contiguous row-major from the given offsets; bh = b * heads + h. Causal masking is top-left
/// aligned like PyTorch (query i sees keys j &lt;= i). A query row whose keys are all masked gets output 0 and
/// logSumExp -inf (and no gradient). Parallel over (bh, query block) forward and (bh, key block) backward.
/// The naive reference is <see cref="AttentionReference"/>.</summary>
public static unsafe class FlashAttention
{
    internal const int QueryBlock = 96;
    internal const int KeyBlock = 128;

    /// <summary>Computes output (and, when logSumExp is non-null, the per-row log-sum-exp of the masked, scaled
    /// scores that <see cref="Backward"/> needs).</summary>
    public static void Forward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
        float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, AttentionMask? mask,
        float[] output, int outOff, float[]? logSumExp, int lseOff)
    {
        ValidateCommon(batchHeads, heads, tq, tk, d, mask);
        Check("q", q, qOff, (long)batchHeads * tq * d);
        Check("k", k, kOff, (long)batchHeads * tk * d);
        Check("v", v, vOff, (long)batchHeads * tk * d);
        Check("output", output, outOff, (long)batchHeads * tq * d);
        if (logSumExp != null) Check("logSumExp", logSumExp, lseOff, (long)batchHeads * tq);
        if (batchHeads == 0 || tq == 0 || d == 0) return;
        if (tk == 0)
        {
            output.AsSpan(outOff, batchHeads * tq * d).Clear();
            logSumExp?.AsSpan(lseOff, batchHeads * tq).Fill(float.NegativeInfinity);
            return;
        }

        fixed (float* pq = q, pk = k, pv = v, po = output, pl = logSumExp, pm = mask?.Values)
        {
            if (Gemm.UseVector512)
                FlashAttentionForward<Kernel512x8x32>.Run(batchHeads, heads, tq, tk, d, scale, causal, pq + qOff, pk + kOff, pv + vOff,
                    mask, pm, po + outOff, pl == null ? null : pl + lseOff);
            else
                FlashAttentionForward<Kernel256x6x16>.Run(batchHeads, heads, tq, tk, d, scale, causal, pq + qOff, pk + kOff, pv + vOff,
                    mask, pm, po + outOff, pl == null ? null : pl + lseOff);
        }
    }

    /// <summary>Gradients of sum(dOutput * output) with respect to q, k and v, recomputing the probabilities from
    /// logSumExp (as written by <see cref="Forward"/> for the same inputs). Overwrites dQ, dK and dV.</summary>
    public static void Backward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
        float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, AttentionMask? mask,
        float[] output, int outOff, float[] logSumExp, int lseOff, float[] dOutput, int dOutOff,
        float[] dQ, int dQOff, float[] dK, int dKOff, float[] dV, int dVOff)
    {
        ValidateCommon(batchHeads, heads, tq, tk, d, mask);
        long qSize = (long)batchHeads * tq * d, kSize = (long)batchHeads * tk * d;
        Check("q", q, qOff, qSize);
        Check("k", k, kOff, kSize);
        Check("v", v, vOff, kSize);
        Check("output", output, outOff, qSize);
        Check("logSumExp", logSumExp, lseOff, (long)batchHeads * tq);
        Check("dOutput", dOutput, dOutOff, qSize);
        Check("dQ", dQ, dQOff, qSize);
        Check("dK", dK, dKOff, kSize);
        Check("dV", dV, dVOff, kSize);
        if (batchHeads == 0 || d == 0) return;
        dQ.AsSpan(dQOff, (int)qSize).Clear();
        if (tq == 0 || tk == 0)
        {
            dK.AsSpan(dKOff, (int)kSize).Clear();
            dV.AsSpan(dVOff, (int)kSize).Clear();
            return;
        }

        int qBlocks = (tq + QueryBlock - 1) / QueryBlock, kBlocks = (tk + KeyBlock - 1) / KeyBlock;
        int tasks = batchHeads * kBlocks;
        long flops = 10L * batchHeads * tq * tk * d;
        int workers = flops < (1 << 20) ? 1 : Math.Min(KernelThreading.MaxThreads, tasks);
        // rowDot[i] = dOutput_i . output_i, the softmax-backward correction term per query row.
        var rowDot = ArrayPool<float>.Shared.Rent(batchHeads * tq);
        // One spin lock per (head, query block): dQ rows are accumulated by every key-block task of the head.
        var locks = ArrayPool<int>.Shared.Rent(batchHeads * qBlocks);
        Array.Clear(locks, 0, batchHeads * qBlocks);
        int next = 0;
        try
        {
            fixed (float* pq = q, pk = k, pv = v, po = output, pl = logSumExp, pdo = dOutput, pdq = dQ, pdk = dK, pdv = dV,
                   pm = mask?.Values, prd = rowDot)
            fixed (int* plk = locks)
            {
                var args = new BackwardArgs
                {
                    Heads = heads, Tq = tq, Tk = tk, D = d, Scale = scale, Causal = causal, Mask = mask, MaskValues = pm,
                    Q = pq + qOff, K = pk + kOff, V = pv + vOff, Lse = pl + lseOff, DOut = pdo + dOutOff,
                    DQ = pdq + dQOff, DK = pdk + dKOff, DV = pdv + dVOff, RowDot = prd, Locks = plk, QBlocks = qBlocks,
                };
                float* o0 = po + outOff;
                for (long row = 0; row < (long)batchHeads * tq; row++)
                    prd[row] = TensorPrimitives.Dot(new ReadOnlySpan<float>(args.DOut + row * d, d), new ReadOnlySpan<float>(o0 + row * d, d));
                KernelThreading.For(workers, _ =>
                {
                    var scratch = ArrayPool<float>.Shared.Rent(2 * QueryBlock * KeyBlock);
                    try
                    {
                        fixed (float* s = scratch)
                        {
                            int t;
                            while ((t = Interlocked.Increment(ref next) - 1) < tasks)
                                BackwardBlock(t / kBlocks, t % kBlocks, args, s);
                        }
                    }
                    finally { ArrayPool<float>.Shared.Return(scratch); }
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rowDot);
            ArrayPool<int>.Shared.Return(locks);
        }
    }

    private sealed class BackwardArgs
    {
        public int Heads, Tq, Tk, D, QBlocks;
        public float Scale;
        public bool Causal;
        public AttentionMask? Mask;
        public float* MaskValues, Q, K, V, Lse, DOut, DQ, DK, DV, RowDot;
        public int* Locks;
    }

    /// <summary>One key block of one head: owns dK and dV of those keys, adds its share of dQ under the query
    /// block's lock.</summary>
    private static void BackwardBlock(int bh, int kb, BackwardArgs a, float* scratch)
    {
        int d = a.D, tq = a.Tq, tk = a.Tk;
        int kStart = kb * KeyBlock, bk = Math.Min(KeyBlock, tk - kStart);
        float* kBlk = a.K + ((long)bh * tk + kStart) * d, vBlk = a.V + ((long)bh * tk + kStart) * d;
        float* dkBlk = a.DK + ((long)bh * tk + kStart) * d, dvBlk = a.DV + ((long)bh * tk + kStart) * d;
        new Span<float>(dkBlk, bk * d).Clear();
        new Span<float>(dvBlk, bk * d).Clear();
        float* p = scratch, dp = scratch + QueryBlock * KeyBlock;
        int firstQb = a.Causal ? kStart / QueryBlock : 0; // earlier queries see none of these keys
        for (int qb = firstQb; qb < a.QBlocks; qb++)
        {
            int qStart = qb * QueryBlock, bq = Math.Min(QueryBlock, tq - qStart);
            long rowBase = (long)bh * tq + qStart;
            float* qBlk = a.Q + rowBase * d, doBlk = a.DOut + rowBase * d, dqBlk = a.DQ + rowBase * d;
            // P = exp(scale * Q K^T + mask - lse)
            Gemm.Serial(false, true, bq, bk, d, a.Scale, qBlk, d, kBlk, d, 0f, p, KeyBlock);
            for (int r = 0; r < bq; r++)
            {
                var row = new Span<float>(p + r * KeyBlock, bk);
                int query = qStart + r;
                float lse = a.Lse[rowBase + r];
                if (float.IsNegativeInfinity(lse)) { row.Clear(); continue; }
                if (a.Mask is { } mk)
                    TensorPrimitives.Add(row, new ReadOnlySpan<float>(a.MaskValues + mk.RowStart(bh, a.Heads, query) + kStart, bk), row);
                FastExp.ExpShiftedSum(p + r * KeyBlock, p + r * KeyBlock, bk, lse);
                if (a.Causal && query + 1 - kStart < bk) row[Math.Max(0, query + 1 - kStart)..].Clear();
            }
            // dV += P^T dO ; dP = dO V^T
            Gemm.Serial(true, false, bk, d, bq, 1f, p, KeyBlock, doBlk, d, 1f, dvBlk, d);
            Gemm.Serial(false, true, bq, bk, d, 1f, doBlk, d, vBlk, d, 0f, dp, KeyBlock);
            // dS = P * (dP - rowDot), kept in dp
            for (int r = 0; r < bq; r++)
            {
                var dpRow = new Span<float>(dp + r * KeyBlock, bk);
                TensorPrimitives.Subtract(dpRow, a.RowDot[rowBase + r], dpRow);
                TensorPrimitives.Multiply(dpRow, new ReadOnlySpan<float>(p + r * KeyBlock, bk), dpRow);
            }
            // dK += scale * dS^T Q ; dQ += scale * dS K
            Gemm.Serial(true, false, bk, d, bq, a.Scale, dp, KeyBlock, qBlk, d, 1f, dkBlk, d);
            int* lockSlot = a.Locks + (long)bh * a.QBlocks + qb;
            var spin = new SpinWait();
            while (Interlocked.CompareExchange(ref *lockSlot, 1, 0) != 0) spin.SpinOnce();
            try { Gemm.Serial(false, false, bq, d, bk, a.Scale, dp, KeyBlock, kBlk, d, 1f, dqBlk, d); }
            finally { Volatile.Write(ref *lockSlot, 0); }
        }
    }

    private static void ValidateCommon(int batchHeads, int heads, int tq, int tk, int d, AttentionMask? mask)
    {
        if (batchHeads < 0 || tq < 0 || tk < 0 || d < 0)
            throw new ArgumentOutOfRangeException(nameof(batchHeads), $"Attention: negative size (BH={batchHeads}, Tq={tq}, Tk={tk}, D={d}).");
        if (heads <= 0 || batchHeads % heads != 0)
            throw new ArgumentException($"Attention: heads ({heads}) must be positive and divide batchHeads ({batchHeads}).");
        mask?.Validate(batchHeads, heads, tq, tk);
    }

    private static void Check(string name, float[] x, int off, long count)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (off < 0 || off + count > x.Length)
            throw new ArgumentException($"Attention: {name} needs {count} elements from offset {off} but the array has {x.Length}.");
    }
}
