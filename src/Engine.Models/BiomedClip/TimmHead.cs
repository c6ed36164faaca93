using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>open_clip <c>TimmModel.head</c> for <c>timm_proj="linear"</c> (key proj): Dropout(0) (no parameters, no
/// effect) then a bias-free Linear(width -> embed_dim).</summary>
public sealed class TimmHead : Module
{
    public TimmHead(int width, int embedDim, Random rng)
    {
        Proj = Add("proj", new Linear(width, embedDim, bias: false, rng: rng));
    }

    public Linear Proj { get; }

    public Tensor Forward(Tensor pooled) => Proj.Forward(pooled);
}
