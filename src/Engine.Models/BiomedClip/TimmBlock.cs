using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>timm <c>Block</c> (keys norm1, attn, norm2, mlp), pre-norm: x += attn(LN1(x)); x += mlp(LN2(x)).
/// No layer-scale, no drop-path at inference.</summary>
public sealed class TimmBlock : Module
{
    public TimmBlock(TimmVitConfig cfg, Random rng)
    {
        Norm1 = Add("norm1", new LayerNorm(cfg.Width, cfg.LayerNormEps));
        Attn = Add("attn", new TimmAttention(cfg.Width, cfg.Heads, rng));
        Norm2 = Add("norm2", new LayerNorm(cfg.Width, cfg.LayerNormEps));
        Mlp = Add("mlp", new TimmMlp(cfg.Width, cfg.MlpHidden, rng));
    }

    public LayerNorm Norm1 { get; }
    public TimmAttention Attn { get; }
    public LayerNorm Norm2 { get; }
    public TimmMlp Mlp { get; }

    public Tensor Forward(Tensor x)
    {
        // Inference: the block's temporaries go back to the buffer pool when it returns (no-op while recording).
        using var scope = TensorScope.Begin();
        var h = Attn.Forward(Norm1.Forward(x), residual: x);
        return scope.Keep(Mlp.Forward(Norm2.Forward(h), residual: h));
    }
}
