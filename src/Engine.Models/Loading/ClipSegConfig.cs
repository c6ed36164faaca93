using System.Text.Json.Nodes;

namespace Engine.Models.Loading;

/// <summary>CLIPSegConfig (model_type "clipseg"), transformers 4.40.2 defaults.</summary>
public sealed record ClipSegConfig
{
    public ClipTextConfig Text { get; init; } = new();
    public ClipVisionConfig Vision { get; init; } = new();
    public int ProjectionDim { get; init; } = 512;
    public float LogitScaleInitValue { get; init; } = 2.6592f;
    /// <summary>Vision encoder layer indices (0-based) whose outputs feed the decoder (hidden_states[k + 1]).</summary>
    public int[] ExtractLayers { get; init; } = { 3, 6, 9 };
    public int ReduceDim { get; init; } = 64;
    public int DecoderNumAttentionHeads { get; init; } = 4;
    public int DecoderIntermediateSize { get; init; } = 2048;
    /// <summary>Stored for round-tripping; transformers hard-codes ReLU in the decoder layers and ignores it.</summary>
    public string DecoderHiddenAct { get; init; } = "quick_gelu";
    public int ConditionalLayer { get; init; }
    public bool UseComplexTransposedConvolution { get; init; }

    public static ClipSegConfig FromJson(JsonConfig j)
    {
        var c = new ClipSegConfig
        {
            Text = ClipTextConfig.FromJson(j.Sub("text_config")),
            Vision = ClipVisionConfig.FromJson(j.Sub("vision_config")),
            ProjectionDim = j.Int("projection_dim", 512),
            LogitScaleInitValue = j.Float("logit_scale_init_value", 2.6592f),
            ExtractLayers = j.IntArray("extract_layers", new[] { 3, 6, 9 }),
            ReduceDim = j.Int("reduce_dim", 64),
            DecoderNumAttentionHeads = j.Int("decoder_num_attention_heads", 4),
            DecoderIntermediateSize = j.Int("decoder_intermediate_size", 2048),
            DecoderHiddenAct = j.String("decoder_hidden_act", "quick_gelu"),
            ConditionalLayer = j.Int("conditional_layer", 0),
            UseComplexTransposedConvolution = j.Bool("use_complex_transposed_convolution", false),
        };
        c.Validate(j.Source);
        return c;
    }

    public void Validate(string source)
    {
        ConfigChecks.Positive(source, ("projection_dim", ProjectionDim), ("reduce_dim", ReduceDim),
            ("decoder_num_attention_heads", DecoderNumAttentionHeads), ("decoder_intermediate_size", DecoderIntermediateSize));
        ConfigChecks.Divisible(source, "reduce_dim", ReduceDim, "decoder_num_attention_heads", DecoderNumAttentionHeads);
        if (ExtractLayers.Length == 0) throw new InvalidDataException($"{source}: 'extract_layers' must not be empty.");
        foreach (var k in ExtractLayers)
            if (k < 0 || k >= Vision.NumHiddenLayers)
                throw new InvalidDataException($"{source}: extract_layers entry {k} is outside the {Vision.NumHiddenLayers} vision layers.");
        if (ConditionalLayer < 0 || ConditionalLayer >= ExtractLayers.Length)
            throw new InvalidDataException($"{source}: conditional_layer {ConditionalLayer} must index one of the {ExtractLayers.Length} decoder layers.");
        if (UseComplexTransposedConvolution && (Vision.PatchSize % 4 != 0 || ReduceDim < 2))
            throw new InvalidDataException($"{source}: the complex transposed convolution needs patch_size divisible by 4 (found {Vision.PatchSize}) and reduce_dim >= 2.");
    }

    public JsonObject ToJson() => new()
    {
        ["architectures"] = new JsonArray("CLIPSegForImageSegmentation"),
        ["model_type"] = "clipseg",
        ["projection_dim"] = ProjectionDim,
        ["logit_scale_init_value"] = LogitScaleInitValue,
        ["extract_layers"] = new JsonArray(ExtractLayers.Select(x => (JsonNode)x).ToArray()),
        ["reduce_dim"] = ReduceDim,
        ["decoder_num_attention_heads"] = DecoderNumAttentionHeads,
        ["decoder_intermediate_size"] = DecoderIntermediateSize,
        ["decoder_hidden_act"] = DecoderHiddenAct,
        ["decoder_attention_dropout"] = 0.0,
        ["conditional_layer"] = ConditionalLayer,
        ["use_complex_transposed_convolution"] = UseComplexTransposedConvolution,
        ["text_config"] = Text.ToJson("clipseg_text_model"),
        ["vision_config"] = Vision.ToJson("clipseg_vision_model"),
        ["torch_dtype"] = "float32",
    };
}
