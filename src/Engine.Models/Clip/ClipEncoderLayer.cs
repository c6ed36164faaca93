using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>Pre-LN transformer layer: x += attn(LN1(x)); x += mlp(LN2(x)) (keys self_attn, layer_norm1, mlp, layer_norm2).</summary>
public sealed class ClipEncoderLayer : Module
{
    public ClipEncoderLayer(int hidden, int heads, int intermediate, string activation, float eps, Random? rng = null)
    {
        SelfAttn = Add("self_attn", new ClipAttention(hidden, heads, rng));
        LayerNorm1 = Add("layer_norm1", new LayerNorm(hidden, eps));
        Mlp = Add("mlp", new ClipMlp(hidden, intermediate, activation, rng));
        LayerNorm2 = Add("layer_norm2", new LayerNorm(hidden, eps));
    }

    public ClipAttention SelfAttn { get; }
    public LayerNorm LayerNorm1 { get; }
    public ClipMlp Mlp { get; }
    public LayerNorm LayerNorm2 { get; }

    public Tensor Forward(Tensor x, Tensor? additiveMask, bool wantProbs, out Tensor? probs)
    {
        // Inference: the layer's temporaries go back to the buffer pool when it returns (no-op while recording).
        using var scope = TensorScope.Begin();
        var h = SelfAttn.Forward(LayerNorm1.Forward(x), additiveMask, wantProbs, out probs, residual: x);
        scope.KeepIfAny(probs);
        return scope.Keep(Mlp.Forward(LayerNorm2.Forward(h), residual: h));
    }
}
