using Engine.Models.Clip;
using System.Text.Json.Nodes;

namespace Engine.Models.Loading;

/// <summary>CLIPTextConfig / CLIPSegTextConfig fields (transformers 4.40.2 defaults).</summary>
public sealed record ClipTextConfig
{
    public int VocabSize { get; init; } = 49408;
    public int HiddenSize { get; init; } = 512;
    public int IntermediateSize { get; init; } = 2048;
    /// <summary>Only used by a stand-alone text model (CLIPTextModelWithProjection); CLIP/CLIPSeg use the top-level value.</summary>
    public int ProjectionDim { get; init; } = 512;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 8;
    public int MaxPositionEmbeddings { get; init; } = 77;
    public string HiddenAct { get; init; } = "quick_gelu";
    public float LayerNormEps { get; init; } = 1e-5f;
    public int PadTokenId { get; init; } = 1;
    public int BosTokenId { get; init; } = 49406;
    /// <summary>Selects the pooling rule: 2 = legacy argmax(input_ids), anything else = first position of this id.</summary>
    public int EosTokenId { get; init; } = 49407;

    public static ClipTextConfig FromJson(JsonConfig j)
    {
        var c = new ClipTextConfig
        {
            VocabSize = j.Int("vocab_size", 49408),
            HiddenSize = j.Int("hidden_size", 512),
            IntermediateSize = j.Int("intermediate_size", 2048),
            ProjectionDim = j.Int("projection_dim", 512),
            NumHiddenLayers = j.Int("num_hidden_layers", 12),
            NumAttentionHeads = j.Int("num_attention_heads", 8),
            MaxPositionEmbeddings = j.Int("max_position_embeddings", 77),
            HiddenAct = j.String("hidden_act", "quick_gelu"),
            LayerNormEps = j.Float("layer_norm_eps", 1e-5f),
            PadTokenId = j.IntOrNull("pad_token_id") ?? 1,
            BosTokenId = j.IntOrNull("bos_token_id") ?? 49406,
            EosTokenId = j.IntOrNull("eos_token_id") ?? 49407,
        };
        c.Validate(j.Source);
        return c;
    }

    public void Validate(string source)
    {
        ConfigChecks.Positive(source, ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("intermediate_size", IntermediateSize),
            ("num_hidden_layers", NumHiddenLayers), ("num_attention_heads", NumAttentionHeads), ("max_position_embeddings", MaxPositionEmbeddings));
        ConfigChecks.Divisible(source, "hidden_size", HiddenSize, "num_attention_heads", NumAttentionHeads);
        ClipActivations.Check(HiddenAct, source);
    }

    public JsonObject ToJson(string modelType) => new()
    {
        ["model_type"] = modelType,
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["projection_dim"] = ProjectionDim,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["hidden_act"] = HiddenAct,
        ["layer_norm_eps"] = LayerNormEps,
        ["pad_token_id"] = PadTokenId,
        ["bos_token_id"] = BosTokenId,
        ["eos_token_id"] = EosTokenId,
    };
}
