using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// OpenAI CLIP's <c>initialize_parameters</c> for the ResNet CLIP (what a random backbone gets): attention-pool q/k/v/c_proj
/// weights N(0, E^-0.5); every Bottleneck's bn3.weight zero; token embedding N(0, 0.02); text positions N(0, 0.01);
/// in_proj N(0, W^-0.5), out_proj and c_proj N(0, W^-0.5 (2L)^-0.5), c_fc N(0, (2W)^-0.5); text_projection N(0, W^-0.5).
/// The neck, decoder and projector keep torch's default initialisation (as in CRIS, where only the backbone is
/// pretrained).
/// </summary>
public static class CrisInitialization
{
    public static void ApplyClipScheme(CrisClip clip, Random rng)
    {
        var pool = clip.Visual.AttnPool;
        float poolStd = MathF.Pow(pool.CProj.InFeatures, -0.5f);
        foreach (var lin in new[] { pool.QProj, pool.KProj, pool.VProj, pool.CProj }) Normal(lin.Weight, rng, poolStd);
        foreach (var stage in clip.Visual.Layers)
            foreach (var block in stage) Set(block.Bn3.Weight, Tensor.Zeros(block.Bn3.Weight.Shape));
        int w = clip.Arch.TextWidth, l = clip.Arch.TextLayers;
        Normal(clip.TokenEmbedding.Weight, rng, 0.02f);
        Normal(clip.PositionalEmbedding, rng, 0.01f);
        float projStd = MathF.Pow(w, -0.5f) * MathF.Pow(2 * l, -0.5f), attnStd = MathF.Pow(w, -0.5f), fcStd = MathF.Pow(2 * w, -0.5f);
        foreach (var block in clip.Transformer.Resblocks)
        {
            Normal(block.Attn.InProjWeight, rng, attnStd);
            Normal(block.Attn.OutProj.Weight, rng, projStd);
            Normal(block.Mlp.CFc.Weight, rng, fcStd);
            Normal(block.Mlp.CProj.Weight, rng, projStd);
        }
        Normal(clip.TextProjection, rng, attnStd);
    }

    private static void Normal(Parameter p, Random rng, float std)
    {
        var t = Tensor.Randn(rng, (int[])p.Shape.Clone());
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] *= std;
        Set(p, t);
    }

    private static void Set(Parameter p, Tensor value)
    {
        bool rg = p.RequiresGrad;
        p.Value = value;
        p.RequiresGrad = rg;
    }
}
