namespace Engine;

/// <summary>Scaled dot-product attention. Composite for now (matmul, mask, softmax, matmul) so autograd comes for free;
/// the fused kernel (online softmax) plugs in behind the same signature.</summary>
public static partial class Ops
{
    /// <summary>softmax(q k^T * scale + mask) v on [B, H, T, D]. mask: additive float (a Bool mask means True =
    /// attend), broadcastable to [B, H, Tq, Tk]; causal adds -inf above the diagonal (key index > query index).
    /// scale defaults to D^-0.5. q is scaled before the product (as HF CLIP does).</summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = false, float? scale = null)
    {
        RequireF32(q, "ScaledDotProductAttention", "q"); RequireF32(k, "ScaledDotProductAttention", "k"); RequireF32(v, "ScaledDotProductAttention", "v");
        if (q.Rank < 2 || k.Rank != q.Rank || v.Rank != q.Rank)
            throw new ArgumentException($"ScaledDotProductAttention: q {Shape.Format(q.Shape)}, k {Shape.Format(k.Shape)}, v {Shape.Format(v.Shape)} must have the same rank >= 2 ([B, H, T, D]).");
        int d = q.Shape[^1], tq = q.Shape[^2], tk = k.Shape[^2];
        if (k.Shape[^1] != d) throw new ArgumentException($"ScaledDotProductAttention: q {Shape.Format(q.Shape)} and k {Shape.Format(k.Shape)} differ in head dim.");
        if (v.Shape[^2] != tk) throw new ArgumentException($"ScaledDotProductAttention: k {Shape.Format(k.Shape)} and v {Shape.Format(v.Shape)} differ in key length.");
        float s = scale ?? 1f / MathF.Sqrt(d);
        var scores = MatMul(Mul(q, s), k, transB: true);
        if (mask is not null)
        {
            var m = mask.DType == DType.F32 ? mask : Where(mask, Tensor.Zeros(1).To(q.Device), Tensor.Full(float.NegativeInfinity, 1).To(q.Device));
            try { Shape.Broadcast(scores.Shape, m.Shape); }
            catch (ArgumentException) { throw new ArgumentException($"ScaledDotProductAttention: mask {Shape.Format(mask.Shape)} does not broadcast to the scores {Shape.Format(scores.Shape)}."); }
            scores = Add(scores, m.To(q.Device));
        }
        if (causal) scores = Add(scores, CausalMask(tq, tk, q.Device));
        return MatMul(Softmax(scores, -1), v);
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
