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
    /// <summary>Computes output (and, when logSumExp is non-null, the per-row log-sum-exp of the masked, scaled
    /// scores that <see cref="Backward"/> needs).</summary>
    public static void Forward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
        float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, AttentionMask? mask,
        float[] output, int outOff, float[]? logSumExp, int lseOff)
    {
        if (heads <= 0) throw new ArgumentException($"Attention: heads ({heads}) must be positive.");
        var qLayout = AttentionLayout.Contiguous(heads, tq, d);
        var kvLayout = AttentionLayout.Contiguous(heads, tk, d);
        Forward(batchHeads, heads, tq, tk, d, scale, causal, q, qOff, qLayout, k, kOff, kvLayout, v, vOff, kvLayout, mask,
            output, outOff, qLayout, logSumExp, lseOff);
    }

    /// <summary><see cref="Forward(int, int, int, int, int, float, bool, float[], int, float[], int, float[], int, AttentionMask?, float[], int, float[], int)"/>
    /// with each operand's rows placed by its own <see cref="AttentionLayout"/> (e.g. q, k and v read from one fused
    /// projection, the output written as [B, T, H, D]); logSumExp stays [BH, Tq] contiguous.</summary>
    public static void Forward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
        float[] q, int qOff, AttentionLayout qLayout, float[] k, int kOff, AttentionLayout kLayout, float[] v, int vOff, AttentionLayout vLayout,
        AttentionMask? mask, float[] output, int outOff, AttentionLayout outLayout, float[]? logSumExp, int lseOff)
    {
        ValidateCommon(batchHeads, heads, tq, tk, d, mask);
        qLayout.Validate("q", d); kLayout.Validate("k", d); vLayout.Validate("v", d); outLayout.Validate("output", d);
        Check("q", q, qOff, qLayout.Extent(batchHeads, heads, tq, d));
        Check("k", k, kOff, kLayout.Extent(batchHeads, heads, tk, d));
        Check("v", v, vOff, vLayout.Extent(batchHeads, heads, tk, d));
        Check("output", output, outOff, outLayout.Extent(batchHeads, heads, tq, d));
        if (logSumExp != null) Check("logSumExp", logSumExp, lseOff, (long)batchHeads * tq);
        if (batchHeads == 0 || tq == 0 || d == 0) return;
        if (tk == 0)
        {
            for (int bh = 0; bh < batchHeads; bh++)
                for (int i = 0; i < tq; i++)
                    output.AsSpan((int)(outOff + outLayout.HeadStart(bh, heads) + (long)i * outLayout.RowStride), d).Clear();
            logSumExp?.AsSpan(lseOff, batchHeads * tq).Fill(float.NegativeInfinity);
            return;
        }

        fixed (float* pq = q, pk = k, pv = v, po = output, pl = logSumExp, pm = mask?.Values)
        {
            var operands = new AttentionOperands((nint)(pq + qOff), qLayout, (nint)(pk + kOff), kLayout, (nint)(pv + vOff), vLayout,
                (nint)(po + outOff), outLayout);
            if (Gemm.UseVector512)
                FlashAttentionForward<Kernel512x8x32>.Run(batchHeads, heads, tq, tk, d, scale, causal, operands,
                    mask, pm, pl == null ? null : pl + lseOff);
            else
                FlashAttentionForward<Kernel256x6x16>.Run(batchHeads, heads, tq, tk, d, scale, causal, operands,
                    mask, pm, pl == null ? null : pl + lseOff);
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

        // rowDot[i] = dOutput_i . output_i, the softmax-backward correction term per query row.
        var rowDot = ArrayPool<float>.Shared.Rent(batchHeads * tq);
        try
        {
            fixed (float* pq = q, pk = k, pv = v, po = output, pl = logSumExp, pdo = dOutput, pdq = dQ, pdk = dK, pdv = dV,
                   pm = mask?.Values, prd = rowDot)
            {
                float* o0 = po + outOff, do0 = pdo + dOutOff;
                for (long row = 0; row < (long)batchHeads * tq; row++)
                    prd[row] = TensorPrimitives.Dot(new ReadOnlySpan<float>(do0 + row * d, d), new ReadOnlySpan<float>(o0 + row * d, d));
                if (Gemm.UseVector512)
                    FlashAttentionBackward<Kernel512x8x32>.Run(batchHeads, heads, tq, tk, d, scale, causal, pq + qOff, pk + kOff, pv + vOff,
                        mask, pm, pl + lseOff, do0, prd, pdq + dQOff, pdk + dKOff, pdv + dVOff);
                else
                    FlashAttentionBackward<Kernel256x6x16>.Run(batchHeads, heads, tq, tk, d, scale, causal, pq + qOff, pk + kOff, pv + vOff,
                        mask, pm, pl + lseOff, do0, prd, pdq + dQOff, pdk + dKOff, pdv + dVOff);
            }
        }
        finally { ArrayPool<float>.Shared.Return(rowDot); }
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
