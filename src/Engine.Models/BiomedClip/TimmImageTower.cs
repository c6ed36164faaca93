using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>open_clip <c>TimmModel</c> (keys trunk.*, head.proj.*): the timm ViT trunk pooled on the class token,
/// then the linear projection to the shared embedding space.</summary>
public sealed class TimmImageTower : Module
{
    public TimmImageTower(TimmVitConfig cfg, int embedDim, Random rng)
    {
        Trunk = Add("trunk", new TimmVisionTransformer(cfg, rng));
        Head = Add("head", new TimmHead(cfg.Width, embedDim, rng));
    }

    public TimmVisionTransformer Trunk { get; }
    public TimmHead Head { get; }

    public Tensor Forward(Tensor pixels) => Head.Forward(Trunk.Forward(pixels).Pooled!);
}
