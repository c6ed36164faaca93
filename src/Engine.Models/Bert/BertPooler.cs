using Engine.Nn;

namespace Engine.Models.Bert;

/// <summary>HF <c>BertPooler</c> (key dense): tanh(dense(last_hidden_state[:, 0])).</summary>
public sealed class BertPooler : Module
{
    public BertPooler(BertConfig cfg, Random rng)
    {
        Dense = Add("dense", new Linear(cfg.HiddenSize, cfg.HiddenSize, rng: rng));
    }

    public Linear Dense { get; }

    public Tensor Forward(Tensor lastHiddenState) => Ops.Tanh(Dense.Forward(lastHiddenState.Select(1, 0)));
}
