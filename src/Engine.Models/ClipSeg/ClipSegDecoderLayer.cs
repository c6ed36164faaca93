using Engine.Models.Clip;
using Engine.Nn;

namespace Engine.Models.ClipSeg;

/// <summary>
/// CLIPSegDecoderLayer, post-LN: x = LN1(x + attn(x)); x = LN2(x + fc2(relu(fc1(x)))). The activation is ReLU
/// regardless of config.decoder_hidden_act (transformers hard-codes it). Keys as CLIPEncoderLayer.
/// </summary>
public sealed class ClipSegDecoderLayer : Module
{
    public ClipSegDecoderLayer(int hidden, int heads, int intermediate, float eps, Random? rng = null)
    {
        SelfAttn = Add("self_attn", new ClipAttention(hidden, heads, rng));
        LayerNorm1 = Add("layer_norm1", new LayerNorm(hidden, eps));
        Mlp = Add("mlp", new ClipMlp(hidden, intermediate, "relu", rng));
        LayerNorm2 = Add("layer_norm2", new LayerNorm(hidden, eps));
    }

    public ClipAttention SelfAttn { get; }
    public LayerNorm LayerNorm1 { get; }
    public ClipMlp Mlp { get; }
    public LayerNorm LayerNorm2 { get; }

    public Tensor Forward(Tensor x, bool wantProbs, out Tensor? probs)
    {
        // Inference: the layer's temporaries go back to the buffer pool when it returns (no-op while recording).
        using var scope = TensorScope.Begin();
        // The residual adds run inside the projections' GEMM epilogues at inference (addition commutes: same bits).
        var h = LayerNorm1.Forward(SelfAttn.Forward(x, null, wantProbs, out probs, residual: x));
        scope.KeepIfAny(probs);
        return scope.Keep(LayerNorm2.Forward(Mlp.Forward(h, residual: h)));
    }
}
