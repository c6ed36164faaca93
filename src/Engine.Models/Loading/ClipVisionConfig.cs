using Engine.Models.Clip;
using System.Text.Json.Nodes;

namespace Engine.Models.Loading;

/// <summary>CLIPVisionConfig / CLIPSegVisionConfig fields (transformers 4.40.2 defaults).</summary>
public sealed record ClipVisionConfig
{
    public int HiddenSize { get; init; } = 768;
    public int IntermediateSize { get; init; } = 3072;
    /// <summary>Only used by a stand-alone vision model (CLIPVisionModelWithProjection).</summary>
    public int ProjectionDim { get; init; } = 512;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int NumChannels { get; init; } = 3;
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 32;
    public string HiddenAct { get; init; } = "quick_gelu";
    public float LayerNormEps { get; init; } = 1e-5f;

    /// <summary>Patches per side of the position table (image_size / patch_size).</summary>
    public int GridSize => ImageSize / PatchSize;

    public static ClipVisionConfig FromJson(JsonConfig j)
    {
        var c = new ClipVisionConfig
        {
            HiddenSize = j.Int("hidden_size", 768),
            IntermediateSize = j.Int("intermediate_size", 3072),
            ProjectionDim = j.Int("projection_dim", 512),
            NumHiddenLayers = j.Int("num_hidden_layers", 12),
            NumAttentionHeads = j.Int("num_attention_heads", 12),
            NumChannels = j.Int("num_channels", 3),
            ImageSize = j.Int("image_size", 224),
            PatchSize = j.Int("patch_size", 32),
            HiddenAct = j.String("hidden_act", "quick_gelu"),
            LayerNormEps = j.Float("layer_norm_eps", 1e-5f),
        };
        c.Validate(j.Source);
        return c;
    }

    public void Validate(string source)
    {
        ConfigChecks.Positive(source, ("hidden_size", HiddenSize), ("intermediate_size", IntermediateSize), ("num_hidden_layers", NumHiddenLayers),
            ("num_attention_heads", NumAttentionHeads), ("num_channels", NumChannels), ("image_size", ImageSize), ("patch_size", PatchSize));
        ConfigChecks.Divisible(source, "hidden_size", HiddenSize, "num_attention_heads", NumAttentionHeads);
        if (ImageSize < PatchSize) throw new InvalidDataException($"{source}: image_size {ImageSize} is smaller than patch_size {PatchSize}.");
        ClipActivations.Check(HiddenAct, source);
    }

    public JsonObject ToJson(string modelType) => new()
    {
        ["model_type"] = modelType,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["projection_dim"] = ProjectionDim,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["num_channels"] = NumChannels,
        ["image_size"] = ImageSize,
        ["patch_size"] = PatchSize,
        ["hidden_act"] = HiddenAct,
        ["layer_norm_eps"] = LayerNormEps,
    };
}
