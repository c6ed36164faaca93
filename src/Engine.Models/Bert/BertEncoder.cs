using Engine.Nn;

namespace Engine.Models.Bert;

/// <summary>HF <c>BertEncoder</c> (keys layer.N.*): the stack of post-norm layers.</summary>
public sealed class BertEncoder : Module
{
    public BertEncoder(BertConfig cfg, Random rng)
    {
        Layer = Add("layer", new ModuleList<BertLayer>(Enumerable.Range(0, cfg.NumHiddenLayers).Select(_ => new BertLayer(cfg, rng))));
    }

    public ModuleList<BertLayer> Layer { get; }
}
