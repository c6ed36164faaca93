using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>CLIPVisionModelWithProjection (keys vision_model.*, visual_projection.weight): image_embeds = visual_projection(pooled), not normalised.
/// Does not interpolate positions (transformers 4.40.2 plain CLIP).</summary>
public sealed class ClipVisionModelWithProjection : Module
{
    public ClipVisionModelWithProjection(ClipVisionConfig config, Random? rng = null)
    {
        Config = config;
        VisionModel = Add("vision_model", new ClipVisionTransformer(config, interpolatePositions: false, rng));
        VisualProjection = Add("visual_projection", new Linear(config.HiddenSize, config.ProjectionDim, bias: false, rng: rng));
    }

    public ClipVisionConfig Config { get; }
    public ClipVisionTransformer VisionModel { get; }
    public Linear VisualProjection { get; }

    public (ClipVisionOutput output, Tensor imageEmbeds) Forward(Tensor pixelValues, IntermediateSink? sink = null)
    {
        var o = VisionModel.Forward(pixelValues, sink);
        var e = VisualProjection.Forward(o.PooledOutput!);
        sink?.Add("image_embeds", e);
        return (o, e);
    }
}
