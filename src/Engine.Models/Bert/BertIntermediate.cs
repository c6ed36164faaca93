using Engine.Nn;

namespace Engine.Models.Bert;

/// <summary>HF <c>BertIntermediate</c> (key dense): act(dense(x)), D -> intermediate_size.</summary>
public sealed class BertIntermediate : Module
{
    private readonly Func<Tensor, Tensor> _act;

    public BertIntermediate(BertConfig cfg, Random rng)
    {
        _act = BertActivation.Resolve(cfg.HiddenAct);
        Dense = Add("dense", new Linear(cfg.HiddenSize, cfg.IntermediateSize, rng: rng));
    }

    public Linear Dense { get; }

    public Tensor Forward(Tensor x) => _act(Dense.Forward(x));
}
