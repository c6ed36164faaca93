using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>OpenAI CLIP's ResidualAttentionBlock (keys attn, ln_1, mlp, ln_2): pre-norm, x += attn(ln_1(x)) with the
/// causal mask, x += mlp(ln_2(x)).</summary>
public sealed class CrisResidualAttentionBlock : Module
{
    public CrisResidualAttentionBlock(int width, int heads, Random? rng = null)
    {
        Attn = Add("attn", new CrisMultiheadAttention(width, heads, 0f, rng));
        Ln1 = Add("ln_1", new LayerNorm(width));
        Mlp = Add("mlp", new CrisClipMlp(width, rng));
        Ln2 = Add("ln_2", new LayerNorm(width));
    }

    public CrisMultiheadAttention Attn { get; }
    public LayerNorm Ln1 { get; }
    public CrisClipMlp Mlp { get; }
    public LayerNorm Ln2 { get; }

    /// <param name="x">[B, T, W]</param>
    /// <param name="causalMask">[T, T] additive (−inf above the diagonal).</param>
    public Tensor Forward(Tensor x, Tensor causalMask)
    {
        var h = Ln1.Forward(x);
        x = Ops.Add(x, Attn.Forward(h, h, h, causalMask));
        return Ops.Add(x, Mlp.Forward(Ln2.Forward(x)));
    }
}
