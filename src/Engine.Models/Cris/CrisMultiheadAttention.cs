using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// torch.nn.MultiheadAttention with its checkpoint layout (<c>in_proj_weight</c> [3E, E] = [Wq; Wk; Wv],
/// <c>in_proj_bias</c> [3E], <c>out_proj.*</c>), used by CLIP's text blocks and CRIS's decoder. Works batch-first
/// ([B, T, E]); callers convert from CRIS's sequence-first layout. Scores are scaled by head_dim^-0.5; attention
/// dropout (training only) is applied to the probabilities as torch does.
/// </summary>
public sealed class CrisMultiheadAttention : Module
{
    public CrisMultiheadAttention(int embedDim, int heads, float dropout = 0f, Random? rng = null)
    {
        if (heads <= 0 || embedDim % heads != 0) throw new ArgumentException($"embed dim {embedDim} is not divisible by {heads} heads.");
        EmbedDim = embedDim; Heads = heads; HeadDim = embedDim / heads; DropoutP = dropout;
        rng ??= new Random(0);
        // torch: xavier_uniform_ on in_proj_weight, zero biases; out_proj is a Linear with a zero bias.
        float bound = MathF.Sqrt(6f / (embedDim + 3 * embedDim));
        InProjWeight = AddParameter("in_proj_weight", Tensor.Uniform(rng, -bound, bound, 3 * embedDim, embedDim));
        InProjBias = AddParameter("in_proj_bias", Tensor.Zeros(3 * embedDim));
        OutProj = Add("out_proj", new Linear(embedDim, embedDim, rng: rng));
        OutProj.Bias!.Value = Tensor.Zeros(embedDim);
        OutProj.Bias.RequiresGrad = true;
        _dropoutRng = new Random(rng.Next());
    }

    private readonly Random _dropoutRng;

    public int EmbedDim { get; }
    public int Heads { get; }
    public int HeadDim { get; }
    public float DropoutP { get; }
    public Parameter InProjWeight { get; }
    public Parameter InProjBias { get; }
    public Linear OutProj { get; }

    /// <param name="query">[B, Tq, E]</param>
    /// <param name="key">[B, Tk, E]</param>
    /// <param name="value">[B, Tk, E]</param>
    /// <param name="additiveMask">null, or a float mask broadcastable to [B, heads, Tq, Tk] (0 = attend, −inf = masked):
    /// the causal attn_mask and/or the key_padding_mask.</param>
    public Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor? additiveMask = null)
    {
        int b = query.Shape[0], tq = query.Shape[1], tk = key.Shape[1], e = EmbedDim;
        if (query.Shape[2] != e || key.Shape[2] != e || value.Shape[2] != e)
            throw new ArgumentException($"MultiheadAttention({e}): query {Shape.Format(query.Shape)}, key {Shape.Format(key.Shape)}, value {Shape.Format(value.Shape)} must end in {e}.");
        var w = InProjWeight.Value; var bias = InProjBias.Value;
        Tensor q, k, v;
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            var qkv = Ops.Linear(query, w, bias); // one GEMM for self-attention on the same input
            q = qkv.Narrow(2, 0, e); k = qkv.Narrow(2, e, e); v = qkv.Narrow(2, 2 * e, e);
        }
        else if (ReferenceEquals(query, key))
        {
            var qk = Ops.Linear(query, w.Narrow(0, 0, 2 * e), bias.Narrow(0, 0, 2 * e));
            q = qk.Narrow(2, 0, e); k = qk.Narrow(2, e, e);
            v = Ops.Linear(value, w.Narrow(0, 2 * e, e), bias.Narrow(0, 2 * e, e));
        }
        else
        {
            q = Ops.Linear(query, w.Narrow(0, 0, e), bias.Narrow(0, 0, e));
            k = Ops.Linear(key, w.Narrow(0, e, e), bias.Narrow(0, e, e));
            v = Ops.Linear(value, w.Narrow(0, 2 * e, e), bias.Narrow(0, 2 * e, e));
        }
        q = q.Reshape(b, tq, Heads, HeadDim).Transpose(1, 2);
        k = k.Reshape(b, tk, Heads, HeadDim).Transpose(1, 2);
        v = v.Reshape(b, tk, Heads, HeadDim).Transpose(1, 2);
        float scale = 1f / MathF.Sqrt(HeadDim);
        Tensor o;
        if (Training && DropoutP > 0f)
        {
            var scores = Ops.MatMul(Ops.Mul(q, scale), k, transB: true);
            if (additiveMask != null) scores = Ops.Add(scores, additiveMask);
            var probs = Ops.Dropout(Ops.Softmax(scores, -1), DropoutP, training: true, _dropoutRng);
            o = Ops.MatMul(probs, v);
        }
        else o = Ops.ScaledDotProductAttention(q, k, v, additiveMask, causal: false, scale: scale);
        return OutProj.Forward(o.Transpose(1, 2).Reshape(b, tq, e));
    }
}
