using Engine.Models.ClipSeg;
using Engine.Models.Loading;
using Engine.Text;

namespace Engine.Models.Clip;

/// <summary>Model family "clip": Hugging Face CLIP folders — model_type "clip" (both towers), "clip_text_model"
/// (CLIPTextModelWithProjection) or "clip_vision_model" (CLIPVisionModelWithProjection).</summary>
public sealed class ClipFamily : IModelFamily
{
    public static readonly string[] ModelTypes = { "clip", "clip_text_model", "clip_vision_model" };

    public string Name => "clip";

    public bool CanOpen(ModelFolder folder) => folder.Layout == ModelFolderLayout.HuggingFace && ModelTypes.Contains(folder.ModelType);

    public IForwardRunner OpenForwardRunner(ModelFolder folder, Device device) => folder.ModelType switch
    {
        "clip_text_model" => new ClipTextForwardRunner(ModelLoader.LoadHuggingFace(folder, () => new ClipTextModelWithProjection(ClipTextConfig.FromJson(folder.Config!)), device)),
        "clip_vision_model" => new ClipVisionForwardRunner(ModelLoader.LoadHuggingFace(folder, () => new ClipVisionModelWithProjection(ClipVisionConfig.FromJson(folder.Config!)), device)),
        "clip" => new ClipModelForwardRunner(LoadClip(folder, device)),
        _ => throw new NotSupportedException($"'{folder.Path}': model_type '{folder.ModelType}' is not a CLIP model."),
    };

    public static ClipModel LoadClip(ModelFolder folder, Device device)
    {
        var c = ClipConfig.FromJson(folder.Config!);
        return ModelLoader.LoadHuggingFace(folder, () => new ClipModel(c.Text, c.Vision, c.ProjectionDim, c.LogitScaleInitValue, interpolatePositions: false), device);
    }

    public TokenizedBatch? Tokenize(ModelFolder folder, IReadOnlyList<string> texts)
        => folder.ModelType == "clip_vision_model" ? null : ClipSegLoader.LoadTokenizer(folder).Encode(texts, padToLongest: true);
}
