using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>timm <c>PatchEmbed</c> (key proj): Conv2d(C_in -> width, kernel = stride = patch, with bias), flattened
/// row-major over the patch grid to [B, grid*grid, width]; no norm.</summary>
public sealed class TimmPatchEmbed : Module
{
    public TimmPatchEmbed(TimmVitConfig cfg, Random rng)
    {
        Proj = Add("proj", new Conv2d(cfg.InChannels, cfg.Width, cfg.PatchSize, stride: cfg.PatchSize, rng: rng));
    }

    public Conv2d Proj { get; }

    public Tensor Forward(Tensor pixels) => Proj.ForwardTokens(pixels); // [B, g*g, C]
}
