using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>CLIPTextModelWithProjection (keys text_model.*, text_projection.weight): text_embeds = text_projection(pooled), not normalised.</summary>
public sealed class ClipTextModelWithProjection : Module
{
    public ClipTextModelWithProjection(ClipTextConfig config, Random? rng = null)
    {
        Config = config;
        TextModel = Add("text_model", new ClipTextTransformer(config, rng));
        TextProjection = Add("text_projection", new Linear(config.HiddenSize, config.ProjectionDim, bias: false, rng: rng));
    }

    public ClipTextConfig Config { get; }
    public ClipTextTransformer TextModel { get; }
    public Linear TextProjection { get; }

    /// <summary>Returns the tower output and text_embeds [B, projection_dim]; records "text_embeds" too.</summary>
    public (ClipTextOutput output, Tensor textEmbeds) Forward(Tensor inputIds, Tensor? attentionMask = null, IntermediateSink? sink = null)
    {
        var o = TextModel.Forward(inputIds, attentionMask, sink);
        var e = TextProjection.Forward(o.PooledOutput);
        sink?.Add("text_embeds", e);
        return (o, e);
    }
}
