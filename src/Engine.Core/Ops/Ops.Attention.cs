namespace Engine;

/// <summary>Scaled dot-product attention: the backend's fused kernel (online softmax, never the whole score matrix)
/// when it has one and the inputs fit it, otherwise a composite of MatMul, mask, Softmax and MatMul.</summary>
public static partial class Ops
{
    /// <summary>softmax(q k^T * scale + mask) v on [B, H, T, D]. mask: additive float (a Bool mask means True =
    /// attend), broadcastable to [B, H, Tq, Tk]; causal adds -inf above the diagonal (key index > query index).
    /// scale defaults to D^-0.5. A query row whose keys are all masked yields 0 on the fused path (NaN on the
    /// composite one, like PyTorch's math kernel).</summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = false, float? scale = null)
    {
        RequireF32(q, "ScaledDotProductAttention", "q"); RequireF32(k, "ScaledDotProductAttention", "k"); RequireF32(v, "ScaledDotProductAttention", "v");
        RequireSameDevice("ScaledDotProductAttention", q, k); RequireSameDevice("ScaledDotProductAttention", q, v);
        if (q.Rank < 2 || k.Rank != q.Rank || v.Rank != q.Rank)
            throw new ArgumentException($"ScaledDotProductAttention: q {Shape.Format(q.Shape)}, k {Shape.Format(k.Shape)}, v {Shape.Format(v.Shape)} must have the same rank >= 2 ([B, H, T, D]).");
        int d = q.Shape[^1], tq = q.Shape[^2], tk = k.Shape[^2];
        if (k.Shape[^1] != d) throw new ArgumentException($"ScaledDotProductAttention: q {Shape.Format(q.Shape)} and k {Shape.Format(k.Shape)} differ in head dim.");
        if (v.Shape[^2] != tk) throw new ArgumentException($"ScaledDotProductAttention: k {Shape.Format(k.Shape)} and v {Shape.Format(v.Shape)} differ in key length.");
        float s = scale ?? 1f / MathF.Sqrt(d);
        Tensor? m = null;
        if (mask is not null)
        {
            m = mask.DType == DType.F32 ? mask.To(q.Device) : Where(mask, Tensor.Zeros(1).To(q.Device), Tensor.Full(float.NegativeInfinity, 1).To(q.Device));
            var scoreShape = Shape.Broadcast(q.Shape.AsSpan(0, q.Rank - 2), k.Shape.AsSpan(0, k.Rank - 2)).Concat(new[] { tq, tk }).ToArray();
            bool ok = m.Rank <= scoreShape.Length;
            try { ok = ok && Shape.Broadcast(scoreShape, m.Shape).SameAs(scoreShape); } catch (ArgumentException) { ok = false; }
            if (!ok) throw new ArgumentException($"ScaledDotProductAttention: mask {Shape.Format(mask.Shape)} does not broadcast to the scores {Shape.Format(scoreShape)}.");
        }
        if (CanFuse(q, k, v, m)) return FusedAttention(q, k, v, m, causal, s);
        var scores = MatMul(Mul(q, s), k, transB: true);
        if (m is not null) scores = Add(scores, m);
        if (causal) scores = Add(scores, CausalMask(tq, tk, q.Device));
        return MatMul(Softmax(scores, -1), v);
    }

    private static bool CanFuse(Tensor q, Tensor k, Tensor v, Tensor? m)
        => BackendOf(q).SupportsFusedAttention && q.Rank is 3 or 4 && v.Shape[^1] == q.Shape[^1]
           && q.Shape.AsSpan(0, q.Rank - 2).SequenceEqual(k.Shape.AsSpan(0, k.Rank - 2))
           && k.Shape.AsSpan(0, k.Rank - 2).SequenceEqual(v.Shape.AsSpan(0, v.Rank - 2))
           && (m is null || !m.RequiresGrad);

    private static Tensor FusedAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, float scale)
    {
        int d = q.Shape[^1], tq = q.Shape[^2], tk = k.Shape[^2];
        int heads = q.Rank == 4 ? q.Shape[1] : 1;
        int bh = Prod(q.Shape, 0, q.Rank - 2);
        Tensor? mc = null; long mbs = 0, mhs = 0, mrs = 0;
        if (mask is not null)
        {
            // View the mask as [mB, mH, mQ, Tk] with keys contiguous; broadcast axes get stride 0.
            var m = mask.Detach();
            while (m.Rank < q.Rank) m = m.Unsqueeze(0);
            if (q.Rank == 3) m = m.Unsqueeze(1);
            if (m.Shape[3] != tk) m = m.Expand(m.Shape[0], m.Shape[1], m.Shape[2], tk);
            mc = m.Contiguous();
            int mH = mc.Shape[1], mQ = mc.Shape[2];
            mrs = mQ == 1 ? 0 : tk;
            mhs = mH == 1 ? 0 : (long)mQ * tk;
            mbs = mc.Shape[0] == 1 ? 0 : (long)mH * mQ * tk;
        }
        var be = BackendOf(q);
        if (!(Engine.Autograd.GradMode.IsEnabled && (q.RequiresGrad || k.RequiresGrad || v.RequiresGrad)) && be.SupportsStridedAttention
            && InPlaceLayout(q) is { } ql && InPlaceLayout(k) is { } kl && InPlaceLayout(v) is { } vl)
        {
            // Inference: q, k and v are read where they are (e.g. head views of one fused projection), and the output
            // is written as [B, T, H, D] and returned as its [B, H, T, D] view, so the usual transpose back to
            // [B, T, H*D] is free.
            Tensor yOut, yView;
            Engine.Kernels.Cpu.AttentionLayout ol;
            if (q.Rank == 4)
            {
                yOut = NewF32(q.Device, new[] { q.Shape[0], tq, heads, d });
                yView = yOut.Transpose(1, 2);
                ol = new((long)tq * heads * d, d, heads * d);
            }
            else
            {
                yOut = yView = NewF32(q.Device, Copy(q.Shape));
                ol = Engine.Kernels.Cpu.AttentionLayout.Contiguous(1, tq, d);
            }
            be.AttentionForwardStrided(bh, heads, tq, tk, d, scale, causal, q.Storage, q.Offset, ql, k.Storage, k.Offset, kl, v.Storage, v.Offset, vl,
                mc?.Storage, mc?.Offset ?? 0, mbs, mhs, mrs, yOut.Storage, yOut.Offset, ol);
            if (mc is not null && mask is not null) ReleaseTemp(mc, mask, yView);
            return yView;
        }
        var qc = Raw(q); var kc = Raw(k); var vc = Raw(v);
        var y = NewF32(q.Device, Copy(q.Shape));
        var lse = NewF32(q.Device, new[] { bh, tq });
        be.AttentionForward(bh, heads, tq, tk, d, scale, causal, qc.Storage, qc.Offset, kc.Storage, kc.Offset, vc.Storage, vc.Offset,
                            mc?.Storage, mc?.Offset ?? 0, mbs, mhs, mrs, y.Storage, y.Offset, lse.Storage, lse.Offset);
        y.WithGrad("sdpa_fused", new[] { q, k, v }, g =>
        {
            var gc = Raw(g);
            var dq = NewF32(q.Device, Copy(q.Shape)); var dk = NewF32(q.Device, Copy(k.Shape)); var dv = NewF32(q.Device, Copy(v.Shape));
            be.AttentionBackward(bh, heads, tq, tk, d, scale, causal, qc.Storage, qc.Offset, kc.Storage, kc.Offset, vc.Storage, vc.Offset,
                                 mc?.Storage, mc?.Offset ?? 0, mbs, mhs, mrs, y.Storage, y.Offset, lse.Storage, lse.Offset, gc.Storage, gc.Offset,
                                 dq.Storage, dq.Offset, dk.Storage, dk.Offset, dv.Storage, dv.Offset);
            return new Tensor?[] { q.RequiresGrad ? dq : null, k.RequiresGrad ? dk : null, v.RequiresGrad ? dv : null };
        });
        ReleaseTemp(qc, q, y); ReleaseTemp(kc, k, y); ReleaseTemp(vc, v, y);
        if (mc is not null && mask is not null) ReleaseTemp(mc, mask, y);
        return y;
    }

    /// <summary>The rows of a [B, H, T, D] or [BH, T, D] operand as an attention layout, when its head dim is contiguous
    /// and rows do not overlap; null when it has to be copied first.</summary>
    private static Engine.Kernels.Cpu.AttentionLayout? InPlaceLayout(Tensor t)
    {
        var st = t.Strides;
        int d = t.Shape[^1];
        if (st[^1] != 1 && d > 1) return null;
        long row = st[^2], head = t.Rank == 4 ? st[1] : 0, batch = st[0];
        if (row < d || row > int.MaxValue || head < 0 || batch < 0) return null;
        return new Engine.Kernels.Cpu.AttentionLayout(batch, head, (int)row);
    }

    /// <summary>[tq, tk] additive mask with -inf where key index > query index (top-left aligned, like PyTorch).</summary>
    public static Tensor CausalMask(int tq, int tk, Device device)
    {
        var m = new float[(long)tq * tk];
        for (int i = 0; i < tq; i++)
            for (int j = i + 1; j < tk; j++) m[(long)i * tk + j] = float.NegativeInfinity;
        return Tensor.FromArray(m, tq, tk).To(device);
    }
}
