using Engine.Nn;

namespace Engine.Models.Bert;

/// <summary>HF <c>BertSelfOutput</c> / <c>BertOutput</c> (keys dense, LayerNorm): LN(dropout(dense(h)) + residual).
/// The post-norm residual step shared by the attention and feed-forward halves of a layer.</summary>
public sealed class BertResidualOutput : Module
{
    private readonly BertConfig _cfg;
    private readonly Random _rng;

    public BertResidualOutput(BertConfig cfg, int inFeatures, Random rng)
    {
        _cfg = cfg; _rng = rng;
        Dense = Add("dense", new Linear(inFeatures, cfg.HiddenSize, rng: rng));
        LayerNorm = Add("LayerNorm", new LayerNorm(cfg.HiddenSize, cfg.LayerNormEps));
    }

    public Linear Dense { get; }
    public LayerNorm LayerNorm { get; }

    public Tensor Forward(Tensor h, Tensor residual)
        => LayerNorm.Forward(Ops.Add(Ops.Dropout(Dense.Forward(h), _cfg.HiddenDropoutProb, Training, _rng), residual));
}
