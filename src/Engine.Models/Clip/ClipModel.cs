using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>
/// CLIPModel / the "clip" submodule of CLIPSeg (keys text_model.*, vision_model.*, visual_projection.weight,
/// text_projection.weight, logit_scale). <paramref name="interpolatePositions"/> is true for CLIPSeg's vision tower.
/// </summary>
public sealed class ClipModel : Module
{
    public ClipModel(ClipTextConfig text, ClipVisionConfig vision, int projectionDim, float logitScaleInit, bool interpolatePositions, Random? rng = null)
    {
        TextConfig = text; VisionConfig = vision; ProjectionDim = projectionDim;
        TextModel = Add("text_model", new ClipTextTransformer(text, rng));
        VisionModel = Add("vision_model", new ClipVisionTransformer(vision, interpolatePositions, rng));
        VisualProjection = Add("visual_projection", new Linear(vision.HiddenSize, projectionDim, bias: false, rng: rng));
        TextProjection = Add("text_projection", new Linear(text.HiddenSize, projectionDim, bias: false, rng: rng));
        LogitScale = AddParameter("logit_scale", Tensor.Full(logitScaleInit));
    }

    public ClipTextConfig TextConfig { get; }
    public ClipVisionConfig VisionConfig { get; }
    public int ProjectionDim { get; }
    public ClipTextTransformer TextModel { get; }
    public ClipVisionTransformer VisionModel { get; }
    public Linear VisualProjection { get; }
    public Linear TextProjection { get; }
    public Parameter LogitScale { get; }

    /// <summary>get_text_features: text_projection(pooled text) [B, projection_dim].</summary>
    public Tensor GetTextFeatures(Tensor inputIds, Tensor? attentionMask = null, IntermediateSink? sink = null)
        => TextProjection.Forward(TextModel.Forward(inputIds, attentionMask, sink).PooledOutput);

    /// <summary>get_image_features: visual_projection(post_layernorm(CLS)) [B, projection_dim].</summary>
    public Tensor GetImageFeatures(Tensor pixelValues, IntermediateSink? sink = null)
        => VisualProjection.Forward(VisionModel.Forward(pixelValues, sink).PooledOutput!);

    /// <summary>CLIPModel.forward: L2-normalised embeddings, logits_per_image = exp(logit_scale) * img @ txt^T, logits_per_text its transpose.</summary>
    public (Tensor imageEmbeds, Tensor textEmbeds, Tensor logitsPerImage, Tensor logitsPerText) Forward(Tensor pixelValues, Tensor inputIds, Tensor? attentionMask = null, IntermediateSink? sink = null)
    {
        var img = Ops.L2Normalize(GetImageFeatures(pixelValues, sink?.Scope("vision.")), -1);
        var txt = Ops.L2Normalize(GetTextFeatures(inputIds, attentionMask, sink?.Scope("text.")), -1);
        var scale = Ops.Exp(LogitScale.Value);
        var perText = Ops.Mul(Ops.MatMul(txt, img, transB: true), scale);
        return (img, txt, perText.Transpose(0, 1), perText);
    }
}
