using Engine.Nn;

namespace Engine.Models.Bert;

/// <summary>HF <c>BertLayer</c> (keys attention.*, intermediate.*, output.*), post-norm:
/// a = LN(dense(attn(x)) + x); y = LN(dense_o(act(dense_i(a))) + a).</summary>
public sealed class BertLayer : Module
{
    public BertLayer(BertConfig cfg, Random rng)
    {
        Attention = Add("attention", new BertAttention(cfg, rng));
        Intermediate = Add("intermediate", new BertIntermediate(cfg, rng));
        Output = Add("output", new BertResidualOutput(cfg, cfg.IntermediateSize, rng));
    }

    public BertAttention Attention { get; }
    public BertIntermediate Intermediate { get; }
    public BertResidualOutput Output { get; }

    public Tensor Forward(Tensor x, Tensor? additiveMask, bool wantProbabilities, out Tensor? probabilities)
    {
        // Inference: the layer's temporaries go back to the buffer pool when it returns (no-op while recording).
        using var scope = TensorScope.Begin();
        var a = Attention.Forward(x, additiveMask, wantProbabilities, out probabilities);
        scope.KeepIfAny(probabilities);
        return scope.Keep(Output.Forward(Intermediate.Forward(a), a));
    }
}
