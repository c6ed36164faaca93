using Engine.Nn;

namespace Engine.Models.Bert;

/// <summary>HF <c>BertAttention</c> (keys self.*, output.dense, output.LayerNorm): post-norm
/// a = LN(dense(SelfAttn(x)) + x).</summary>
public sealed class BertAttention : Module
{
    public BertAttention(BertConfig cfg, Random rng)
    {
        Self = Add("self", new BertSelfAttention(cfg, rng));
        Output = Add("output", new BertResidualOutput(cfg, cfg.HiddenSize, rng));
    }

    public BertSelfAttention Self { get; }
    public BertResidualOutput Output { get; }

    public Tensor Forward(Tensor x, Tensor? additiveMask, bool wantProbabilities, out Tensor? probabilities)
        => Output.Forward(Self.Forward(x, additiveMask, wantProbabilities, out probabilities), x);
}
