using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>A [B, H, L, D] operand whose last axis is contiguous; other axes have arbitrary strides (0 = broadcast).</summary>
public readonly record struct AttnOperand(ArrayView<float> View, long Offset, long StrideB, long StrideH, long StrideL)
{
    public static AttnOperand Contiguous(ArrayView<float> view, int h, int l, int d) => new(view, 0, (long)h * l * d, (long)l * d, d);
}

/// <summary>Additive float mask broadcastable to [B, H, Lq, Lk] (stride 0 on broadcast axes).</summary>
public readonly record struct AttnMask(ArrayView<float> View, long Offset, long StrideB, long StrideH, long StrideQ, long StrideK);

public struct AttnParams
{
    public int B, H, Lq, Lk, D, Causal, HasMask;
    public float Scale;
    public long QOff, QB, QH, QL, KOff, KB, KH, KL, VOff, VB, VH, VL, OOff, OB, OH, OL, GOff, GB, GH, GL;
    public long MOff, MB, MH, MQ, MK;
}

/// <summary>
/// Fused scaled-dot-product attention, FlashAttention-2 style: softmax(q k^T * scale + mask [+ causal]) v without
/// materialising the score matrix. Forward: a 128-thread group owns 16 query rows of one (batch, head), streams
/// 32-key blocks of K and V through shared memory and keeps an online softmax (running max and sum per row); it
/// saves the row log-sum-exp for backward. Backward: a group owns 16 keys, streams 8-query blocks, recomputes
/// probabilities from the saved log-sum-exp, accumulates dK and dV in shared memory and adds dQ with float atomics.
/// Head dim up to 128. Causal is top-left aligned (key j visible to query i when j &lt;= i), as PyTorch's is_causal.
/// A row with every key masked gives NaN, as PyTorch does.
/// </summary>
public static class Attention
{
    public const int DMax = 128, Br = 16, Bc = 32, Threads = 128, BwdBc = 16, BwdBr = 8;

    private static float MaskAt(ArrayView<float> mask, AttnParams p, int b, int h, int i, int j)
    {
        if (p.Causal != 0 && j > i) return GpuMath.NegInf;
        if (p.HasMask == 0) return 0f;
        return mask[p.MOff + b * p.MB + h * p.MH + i * p.MQ + j * p.MK];
    }

    [GpuKernel(ExplicitlyGrouped = true)]
    public static void ForwardKernel(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> mask,
                                     ArrayView<float> o, ArrayView<float> lse, AttnParams p)
    {
        var Qs = SharedMemory.Allocate<float>(Br * DMax);
        var KVs = SharedMemory.Allocate<float>(Bc * DMax);
        var S = SharedMemory.Allocate<float>(Br * Bc);
        var Os = SharedMemory.Allocate<float>(Br * DMax);
        var rowM = SharedMemory.Allocate<float>(Br);
        var rowL = SharedMemory.Allocate<float>(Br);
        var rowA = SharedMemory.Allocate<float>(Br);
        int tid = Group.IdxX, q0 = Grid.IdxX * Br, bh = Grid.IdxY, b = bh / p.H, h = bh % p.H, D = p.D;
        long qb = p.QOff + b * p.QB + h * p.QH, kb = p.KOff + b * p.KB + h * p.KH, vb = p.VOff + b * p.VB + h * p.VH;

        for (int e = tid; e < Br * D; e += Threads)
        {
            int r = e / D, d = e % D;
            Qs[r * DMax + d] = q0 + r < p.Lq ? q[qb + (q0 + r) * p.QL + d] : 0f;
            Os[r * DMax + d] = 0f;
        }
        if (tid < Br) { rowM[tid] = GpuMath.NegInf; rowL[tid] = 0f; }
        Group.Barrier();

        int kEnd = p.Lk;
        if (p.Causal != 0) { int lastQ = q0 + Br - 1; if (lastQ + 1 < kEnd) kEnd = lastQ + 1; }
        for (int c0 = 0; c0 < kEnd; c0 += Bc)
        {
            for (int e = tid; e < Bc * D; e += Threads)
            {
                int c = e / D, d = e % D;
                KVs[c * DMax + d] = c0 + c < p.Lk ? k[kb + (c0 + c) * p.KL + d] : 0f;
            }
            Group.Barrier();
            for (int e = tid; e < Br * Bc; e += Threads)
            {
                int r = e / Bc, c = e % Bc, i = q0 + r, j = c0 + c;
                float s = GpuMath.NegInf;
                if (i < p.Lq && j < p.Lk)
                {
                    float dot = 0f;
                    for (int d = 0; d < D; d++) dot += Qs[r * DMax + d] * KVs[c * DMax + d];
                    s = dot * p.Scale + MaskAt(mask, p, b, h, i, j);
                }
                S[e] = s;
            }
            Group.Barrier();
            if (tid < Br)
            {
                float mOld = rowM[tid], mx = mOld;
                for (int c = 0; c < Bc; c++) mx = GpuMath.Max(mx, S[tid * Bc + c]);
                float alpha = 1f, sum = 0f;
                if (mx != GpuMath.NegInf)
                {
                    alpha = mOld == GpuMath.NegInf ? 0f : GpuMath.Exp(mOld - mx);
                    for (int c = 0; c < Bc; c++)
                    {
                        float pe = GpuMath.Exp(S[tid * Bc + c] - mx);
                        S[tid * Bc + c] = pe; sum += pe;
                    }
                }
                else
                {
                    for (int c = 0; c < Bc; c++) S[tid * Bc + c] = 0f;
                }
                rowM[tid] = mx; rowL[tid] = rowL[tid] * alpha + sum; rowA[tid] = alpha;
            }
            Group.Barrier();
            for (int e = tid; e < Bc * D; e += Threads)
            {
                int c = e / D, d = e % D;
                KVs[c * DMax + d] = c0 + c < p.Lk ? v[vb + (c0 + c) * p.VL + d] : 0f;
            }
            Group.Barrier();
            for (int e = tid; e < Br * D; e += Threads)
            {
                int r = e / D, d = e % D;
                float acc = Os[r * DMax + d] * rowA[r];
                for (int c = 0; c < Bc; c++) acc += S[r * Bc + c] * KVs[c * DMax + d];
                Os[r * DMax + d] = acc;
            }
            Group.Barrier();
        }

        long ob = p.OOff + b * p.OB + h * p.OH;
        for (int e = tid; e < Br * D; e += Threads)
        {
            int r = e / D, d = e % D;
            if (q0 + r < p.Lq)
            {
                float l = rowL[r];
                o[ob + (q0 + r) * p.OL + d] = l > 0f ? Os[r * DMax + d] / l : float.NaN;
            }
        }
        if (tid < Br && q0 + tid < p.Lq)
        {
            float l = rowL[tid];
            lse[((long)b * p.H + h) * p.Lq + q0 + tid] = l > 0f ? rowM[tid] + GpuMath.Log(l) : float.NaN;
        }
    }

    /// <summary>delta[row] = sum_d dO[row, d] * O[row, d] (FlashAttention-2 backward preprocessing).</summary>
    [GpuKernel]
    public static void DeltaKernel(Index1D row, ArrayView<float> o, ArrayView<float> go, ArrayView<float> delta, AttnParams p)
    {
        int i = row % p.Lq, bh = row / p.Lq, b = bh / p.H, h = bh % p.H;
        long ob = p.OOff + b * p.OB + h * p.OH + i * p.OL, gb = p.GOff + b * p.GB + h * p.GH + i * p.GL;
        float acc = 0f;
        for (int d = 0; d < p.D; d++) acc += o[ob + d] * go[gb + d];
        delta[row] = acc;
    }

    [GpuKernel(ExplicitlyGrouped = true)]
    public static void BackwardKernel(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> mask, ArrayView<float> go,
                                      ArrayView<float> lse, ArrayView<float> delta, ArrayView<float> dq, ArrayView<float> dk, ArrayView<float> dv, AttnParams p)
    {
        var Ks = SharedMemory.Allocate<float>(BwdBc * DMax);
        var Vs = SharedMemory.Allocate<float>(BwdBc * DMax);
        var dKs = SharedMemory.Allocate<float>(BwdBc * DMax);
        var dVs = SharedMemory.Allocate<float>(BwdBc * DMax);
        var Qs = SharedMemory.Allocate<float>(BwdBr * DMax);
        var dOs = SharedMemory.Allocate<float>(BwdBr * DMax);
        var P = SharedMemory.Allocate<float>(BwdBr * BwdBc);
        var dS = SharedMemory.Allocate<float>(BwdBr * BwdBc);
        var rowStat = SharedMemory.Allocate<float>(2 * BwdBr);
        int tid = Group.IdxX, k0 = Grid.IdxX * BwdBc, bh = Grid.IdxY, b = bh / p.H, h = bh % p.H, D = p.D;
        long qb = p.QOff + b * p.QB + h * p.QH, kb = p.KOff + b * p.KB + h * p.KH, vb = p.VOff + b * p.VB + h * p.VH;
        long gb = p.GOff + b * p.GB + h * p.GH, sb = ((long)b * p.H + h) * p.Lq;
        long dqb = ((long)b * p.H + h) * p.Lq * D, dkb = ((long)b * p.H + h) * p.Lk * D;

        for (int e = tid; e < BwdBc * D; e += Threads)
        {
            int c = e / D, d = e % D;
            bool ok = k0 + c < p.Lk;
            Ks[c * DMax + d] = ok ? k[kb + (k0 + c) * p.KL + d] : 0f;
            Vs[c * DMax + d] = ok ? v[vb + (k0 + c) * p.VL + d] : 0f;
            dKs[c * DMax + d] = 0f; dVs[c * DMax + d] = 0f;
        }
        int iStart = p.Causal != 0 ? (k0 / BwdBr) * BwdBr : 0;
        for (int i0 = iStart; i0 < p.Lq; i0 += BwdBr)
        {
            Group.Barrier();
            for (int e = tid; e < BwdBr * D; e += Threads)
            {
                int r = e / D, d = e % D;
                bool ok = i0 + r < p.Lq;
                Qs[r * DMax + d] = ok ? q[qb + (i0 + r) * p.QL + d] : 0f;
                dOs[r * DMax + d] = ok ? go[gb + (i0 + r) * p.GL + d] : 0f;
            }
            if (tid < BwdBr)
            {
                bool ok = i0 + tid < p.Lq;
                rowStat[tid] = ok ? lse[sb + i0 + tid] : float.NaN;
                rowStat[BwdBr + tid] = ok ? delta[sb + i0 + tid] : 0f;
            }
            Group.Barrier();
            for (int e = tid; e < BwdBr * BwdBc; e += Threads)
            {
                int r = e / BwdBc, c = e % BwdBc, i = i0 + r, j = k0 + c;
                float pe = 0f, ds = 0f, l = rowStat[r];
                if (i < p.Lq && j < p.Lk && !float.IsNaN(l) && !float.IsInfinity(l))
                {
                    float m = MaskAt(mask, p, b, h, i, j);
                    if (m != GpuMath.NegInf)
                    {
                        float dot = 0f, dp = 0f;
                        for (int d = 0; d < D; d++) { dot += Qs[r * DMax + d] * Ks[c * DMax + d]; dp += dOs[r * DMax + d] * Vs[c * DMax + d]; }
                        pe = GpuMath.Exp(dot * p.Scale + m - l);
                        ds = pe * (dp - rowStat[BwdBr + r]);
                    }
                }
                P[e] = pe; dS[e] = ds;
            }
            Group.Barrier();
            for (int e = tid; e < BwdBc * D; e += Threads)
            {
                int c = e / D, d = e % D;
                float av = 0f, ak = 0f;
                for (int r = 0; r < BwdBr; r++) { av += P[r * BwdBc + c] * dOs[r * DMax + d]; ak += dS[r * BwdBc + c] * Qs[r * DMax + d]; }
                dVs[c * DMax + d] += av; dKs[c * DMax + d] += ak * p.Scale;
            }
            for (int e = tid; e < BwdBr * D; e += Threads)
            {
                int r = e / D, d = e % D;
                if (i0 + r < p.Lq)
                {
                    float aq = 0f;
                    for (int c = 0; c < BwdBc; c++) aq += dS[r * BwdBc + c] * Ks[c * DMax + d];
                    if (aq != 0f) Atomic.Add(ref dq[dqb + (long)(i0 + r) * D + d], aq * p.Scale);
                }
            }
        }
        Group.Barrier();
        for (int e = tid; e < BwdBc * D; e += Threads)
        {
            int c = e / D, d = e % D;
            if (k0 + c < p.Lk)
            {
                dk[dkb + (long)(k0 + c) * D + d] = dKs[c * DMax + d];
                dv[dkb + (long)(k0 + c) * D + d] = dVs[c * DMax + d];
            }
        }
    }

    // ---------------------------------------------------------------- launch API

    private static AttnParams Build(int batch, int heads, int lq, int lk, int d, AttnOperand q, AttnOperand k, AttnOperand v, AttnMask? mask, bool causal, float scale)
    {
        Check.Positive(batch, "batch"); Check.Positive(heads, "heads"); Check.NonNegative(lq, "query length"); Check.Positive(lk, "key length");
        if (d < 1 || d > DMax) throw new ArgumentOutOfRangeException(nameof(d), $"Head dim {d} is outside 1..{DMax} supported by the fused attention kernel.");
        Fits(q, batch, heads, lq, d, "q"); Fits(k, batch, heads, lk, d, "k"); Fits(v, batch, heads, lk, d, "v");
        var p = new AttnParams
        {
            B = batch, H = heads, Lq = lq, Lk = lk, D = d, Causal = causal ? 1 : 0, Scale = scale,
            QOff = q.Offset, QB = q.StrideB, QH = q.StrideH, QL = q.StrideL,
            KOff = k.Offset, KB = k.StrideB, KH = k.StrideH, KL = k.StrideL,
            VOff = v.Offset, VB = v.StrideB, VH = v.StrideH, VL = v.StrideL,
        };
        if (mask is { } m)
        {
            if (m.StrideB < 0 || m.StrideH < 0 || m.StrideQ < 0 || m.StrideK < 0) throw new ArgumentException("Negative mask strides are not supported.");
            Check.Fits(m.View, m.Offset + (batch - 1) * m.StrideB + (heads - 1) * m.StrideH + Math.Max(0, lq - 1) * m.StrideQ + (lk - 1) * m.StrideK + 1, "mask");
            p.HasMask = 1; p.MOff = m.Offset; p.MB = m.StrideB; p.MH = m.StrideH; p.MQ = m.StrideQ; p.MK = m.StrideK;
        }
        return p;
    }

    private static void Fits(AttnOperand t, int batch, int heads, int len, int d, string name)
    {
        if (t.StrideB < 0 || t.StrideH < 0 || t.StrideL < 0) throw new ArgumentException($"Negative strides in attention operand '{name}'.");
        if (len == 0) return;
        Check.Fits(t.View, t.Offset + (batch - 1) * t.StrideB + (heads - 1) * t.StrideH + (len - 1) * t.StrideL + d, name);
    }

    /// <summary>o = softmax(q k^T * scale + mask) v; lse [B, H, Lq] (contiguous) is saved for backward.</summary>
    public static void Forward(GpuDevice dev, int batch, int heads, int lq, int lk, int d, AttnOperand q, AttnOperand k, AttnOperand v,
                               AttnMask? mask, bool causal, float scale, AttnOperand o, ArrayView<float> lse)
    {
        var p = Build(batch, heads, lq, lk, d, q, k, v, mask, causal, scale);
        Fits(o, batch, heads, lq, d, "o");
        Check.Fits(lse, (long)batch * heads * lq, "lse");
        p.OOff = o.Offset; p.OB = o.StrideB; p.OH = o.StrideH; p.OL = o.StrideL;
        if (lq == 0) return;
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttnParams>(ForwardKernel)(
            new KernelConfig(new Index2D((lq + Br - 1) / Br, batch * heads), new Index2D(Threads, 1)),
            q.View, k.View, v.View, mask?.View ?? q.View, o.View, lse, p);
        dev.AfterLaunch("attention_fwd", t0);
    }

    /// <summary>Gradients dq [B,H,Lq,D], dk and dv [B,H,Lk,D] (all contiguous; dq is overwritten).</summary>
    public static void Backward(GpuDevice dev, int batch, int heads, int lq, int lk, int d, AttnOperand q, AttnOperand k, AttnOperand v,
                                AttnMask? mask, bool causal, float scale, AttnOperand o, AttnOperand gradO, ArrayView<float> lse,
                                ArrayView<float> dq, ArrayView<float> dk, ArrayView<float> dv)
    {
        var p = Build(batch, heads, lq, lk, d, q, k, v, mask, causal, scale);
        Fits(o, batch, heads, lq, d, "o"); Fits(gradO, batch, heads, lq, d, "grad_o");
        long rows = (long)batch * heads * lq;
        Check.Fits(lse, rows, "lse"); Check.Fits(dq, rows * d, "dq");
        Check.Fits(dk, (long)batch * heads * lk * d, "dk"); Check.Fits(dv, (long)batch * heads * lk * d, "dv");
        p.OOff = o.Offset; p.OB = o.StrideB; p.OH = o.StrideH; p.OL = o.StrideL;
        p.GOff = gradO.Offset; p.GB = gradO.StrideB; p.GH = gradO.StrideH; p.GL = gradO.StrideL;
        dq.SubView(0, rows * d).MemSetToZero(dev.Stream);
        if (lq == 0) { dk.SubView(0, (long)batch * heads * lk * d).MemSetToZero(dev.Stream); dv.SubView(0, (long)batch * heads * lk * d).MemSetToZero(dev.Stream); return; }
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        using var delta = dev.Rent<float>(rows);
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, AttnParams>(DeltaKernel)(Check.ToInt(rows, "rows"), o.View, gradO.View, delta.View, p);
        dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttnParams>(BackwardKernel)(
            new KernelConfig(new Index2D((lk + BwdBc - 1) / BwdBc, batch * heads), new Index2D(Threads, 1)),
            q.View, k.View, v.View, mask?.View ?? q.View, gradO.View, lse, delta.View, dq, dk, dv, p);
        dev.AfterLaunch("attention_bwd", t0);
    }
}
