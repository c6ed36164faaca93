using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>
/// transformers' CLIP/CLIPSeg _init_weights scheme (initializer_factor 1, initializer_range 0.02) for random model folders:
/// token/position tables N(0, 0.02); class embedding N(0, C^-0.5); patch conv N(0, 0.02); attention q/k/v
/// N(0, C^-0.5 (2L)^-0.5), out_proj N(0, C^-0.5); MLP fc1 N(0, (2C)^-0.5), fc2 N(0, C^-0.5 (2L)^-0.5); projections
/// N(0, C^-0.5); LayerNorm 1/0; every Linear bias 0. Other layers (decoder reduces/FiLM/convs) keep torch's default init.
/// </summary>
public static class ClipInitialization
{
    public const float InitializerRange = 0.02f;

    /// <summary>Applies the scheme to every CLIP submodule of <paramref name="root"/>; <paramref name="defaultLayers"/> is
    /// the layer count L for modules outside a CLIP tower (inside one, the tower's own count is used).</summary>
    public static void Apply(Module root, Random rng, int defaultLayers)
    {
        Visit(root, rng, defaultLayers);
    }

    private static void Visit(Module m, Random rng, int layers)
    {
        switch (m)
        {
            case ClipTextTransformer t: layers = t.Config.NumHiddenLayers; break;
            case ClipVisionTransformer v: layers = v.Config.NumHiddenLayers; break;
            case ClipTextEmbeddings e:
                Normal(e.TokenEmbedding.Weight, rng, InitializerRange);
                Normal(e.PositionEmbedding.Weight, rng, InitializerRange);
                break;
            case ClipVisionEmbeddings e:
                Normal(e.ClassEmbedding, rng, MathF.Pow(e.Config.HiddenSize, -0.5f));
                Normal(e.PatchEmbedding.Weight, rng, InitializerRange);
                Normal(e.PositionEmbedding.Weight, rng, InitializerRange);
                break;
            case ClipAttention a:
            {
                float inStd = MathF.Pow(a.Hidden, -0.5f) * MathF.Pow(2 * layers, -0.5f), outStd = MathF.Pow(a.Hidden, -0.5f);
                Normal(a.QProj.Weight, rng, inStd); Normal(a.KProj.Weight, rng, inStd); Normal(a.VProj.Weight, rng, inStd);
                Normal(a.OutProj.Weight, rng, outStd);
                break;
            }
            case ClipMlp mlp:
            {
                int c = mlp.Fc1.InFeatures;
                Normal(mlp.Fc1.Weight, rng, MathF.Pow(2 * c, -0.5f));
                Normal(mlp.Fc2.Weight, rng, MathF.Pow(c, -0.5f) * MathF.Pow(2 * layers, -0.5f));
                break;
            }
            case ClipModel clip:
                Normal(clip.TextProjection.Weight, rng, MathF.Pow(clip.TextConfig.HiddenSize, -0.5f));
                Normal(clip.VisualProjection.Weight, rng, MathF.Pow(clip.VisionConfig.HiddenSize, -0.5f));
                break;
            case LayerNorm ln:
                ln.Weight.Value = Tensor.Ones(ln.Weight.Shape);
                ln.Bias.Value = Tensor.Zeros(ln.Bias.Shape);
                break;
        }
        if (m is Linear { Bias: not null } lin) lin.Bias.Value = Tensor.Zeros(lin.Bias.Shape);
        foreach (var (_, c) in m.Children) Visit(c, rng, layers);
    }

    private static void Normal(Parameter p, Random rng, float std)
    {
        var t = Tensor.Randn(rng, (int[])p.Shape.Clone());
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] *= std;
        p.Value = t;
    }
}
