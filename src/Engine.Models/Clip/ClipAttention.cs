using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>
/// CLIPAttention (also CLIPSeg's): q/k/v/out projections, q scaled by head_dim^-0.5 before q.k^T, an optional additive
/// mask. Without a sink asking for attention probabilities it runs the fused attention op; with one it materialises
/// softmax(q k^T + mask) explicitly to record it.
/// </summary>
public sealed class ClipAttention : Module
{
    public ClipAttention(int hidden, int heads, Random? rng = null)
    {
        if (hidden % heads != 0) throw new ArgumentException($"hidden size {hidden} is not divisible by {heads} heads.");
        Hidden = hidden; Heads = heads; HeadDim = hidden / heads;
        Scale = MathF.Pow(HeadDim, -0.5f);
        KProj = Add("k_proj", new Linear(hidden, hidden, rng: rng));
        VProj = Add("v_proj", new Linear(hidden, hidden, rng: rng));
        QProj = Add("q_proj", new Linear(hidden, hidden, rng: rng));
        OutProj = Add("out_proj", new Linear(hidden, hidden, rng: rng));
        _qkv = new PackedLinears(QProj, KProj, VProj);
    }

    /// <summary>q, k and v as one GEMM at inference (packed with the layers' weights).</summary>
    private readonly PackedLinears _qkv;

    protected override void OnPackForInference() => _qkv.Pack();

    public int Hidden { get; }
    public int Heads { get; }
    public int HeadDim { get; }
    public float Scale { get; }
    public Linear QProj { get; }
    public Linear KProj { get; }
    public Linear VProj { get; }
    public Linear OutProj { get; }

    /// <param name="x">[B, T, C]</param>
    /// <param name="additiveMask">null or broadcastable to [B, heads, T, T] (0 = attend, large negative = masked).</param>
    /// <param name="probs">attention probabilities [B, heads, T, T] when <paramref name="wantProbs"/>, else null.</param>
    public Tensor Forward(Tensor x, Tensor? additiveMask, bool wantProbs, out Tensor? probs)
        => Forward(x, additiveMask, wantProbs, out probs, null);

    /// <param name="residual">added to the output projection (inside its GEMM at inference with packed weights).</param>
    public Tensor Forward(Tensor x, Tensor? additiveMask, bool wantProbs, out Tensor? probs, Tensor? residual)
    {
        int b = x.Shape[0], t = x.Shape[1];
        if (!wantProbs && _qkv.TryForward(x) is { } qkv)
        {
            // Inference: [B, T, 3C] -> q, k, v head views [B, H, T, D] read in place by the attention kernel, whose
            // output comes back as a view of [B, T, H, D] (so the reshape below copies nothing).
            var heads = qkv.Reshape(b, t, 3, Heads, HeadDim).Permute(2, 0, 3, 1, 4);
            probs = null;
            var ctx = Ops.ScaledDotProductAttention(heads.Select(0, 0), heads.Select(0, 1), heads.Select(0, 2), additiveMask, causal: false, scale: Scale);
            return OutProj.Forward(ctx.Transpose(1, 2).Reshape(b, t, Hidden), null, residual);
        }
        // [B, T, C] -> [B, H, T, D]
        var qp = QProj.Forward(x);
        var k = KProj.Forward(x).Reshape(b, t, Heads, HeadDim).Transpose(1, 2);
        var v = VProj.Forward(x).Reshape(b, t, Heads, HeadDim).Transpose(1, 2);
        Tensor o;
        if (wantProbs)
        {
            var q = Ops.Mul(qp, Scale).Reshape(b, t, Heads, HeadDim).Transpose(1, 2);
            var scores = Ops.MatMul(q, k, transB: true);
            if (additiveMask != null) scores = Ops.Add(scores, additiveMask);
            probs = Ops.Softmax(scores, -1);
            o = Ops.MatMul(probs, v);
        }
        else
        {
            probs = null;
            // The fused kernel applies the scale to the scores: same math as scaling q first, without a pass over q.
            var q = qp.Reshape(b, t, Heads, HeadDim).Transpose(1, 2);
            o = Ops.ScaledDotProductAttention(q, k, v, additiveMask, causal: false, scale: Scale);
        }
        o = o.Transpose(1, 2).Reshape(b, t, Hidden);
        return OutProj.Forward(o, null, residual);
    }
}
