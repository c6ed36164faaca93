using System.Globalization;
using System.Text.Json;

namespace Engine.Models.Bert;

/// <summary>
/// Hugging Face <c>BertConfig</c> fields the encoder needs. Defaults are BERT-base's (which is also
/// PubMedBERT / BiomedBERT-base), so a config.json written as a diff against the defaults reads correctly.
/// </summary>
public sealed record BertConfig
{
    public int VocabSize { get; init; } = 30522;
    public int HiddenSize { get; init; } = 768;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 3072;
    public int MaxPositionEmbeddings { get; init; } = 512;
    public int TypeVocabSize { get; init; } = 2;
    public float LayerNormEps { get; init; } = 1e-12f;
    /// <summary>"gelu" (exact erf form), "gelu_new"/"gelu_pytorch_tanh" (tanh form), "relu", "quick_gelu".</summary>
    public string HiddenAct { get; init; } = "gelu";
    public float HiddenDropoutProb { get; init; } = 0.1f;
    public float AttentionProbsDropoutProb { get; init; } = 0.1f;
    /// <summary>Row of the word table whose gradient is always zero (torch <c>padding_idx</c>); null for none.</summary>
    public int? PadTokenId { get; init; } = 0;
    public string PositionEmbeddingType { get; init; } = "absolute";
    /// <summary>Whether the model owns the tanh pooler (<c>pooler.dense.*</c>). HF's BertModel has it by default;
    /// open_clip builds its text tower without it.</summary>
    public bool AddPoolingLayer { get; init; } = true;

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Throws a clear error for sizes the encoder cannot run.</summary>
    public void Validate(string source = "BERT config")
    {
        void Positive(int v, string name) { if (v <= 0) throw new InvalidDataException($"{source}: {name} must be positive, got {v}."); }
        Positive(VocabSize, "vocab_size"); Positive(HiddenSize, "hidden_size"); Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads"); Positive(IntermediateSize, "intermediate_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings"); Positive(TypeVocabSize, "type_vocab_size");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}.");
        if (PositionEmbeddingType != "absolute")
            throw new NotSupportedException($"{source}: position_embedding_type '{PositionEmbeddingType}' is not supported (only 'absolute').");
        _ = BertActivation.Resolve(HiddenAct, source);
        if (PadTokenId is int p && (p < 0 || p >= VocabSize))
            throw new InvalidDataException($"{source}: pad_token_id {p} is outside the vocabulary of {VocabSize}.");
    }

    /// <summary>Reads an HF config.json (only the fields above; unknown fields are ignored).</summary>
    public static BertConfig FromJsonFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"BERT config not found: {path}", path);
        try { return FromJson(File.ReadAllText(path), path); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e); }
    }

    public static BertConfig FromJson(string json, string source = "config.json")
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        if (r.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: expected a JSON object.");
        var d = new BertConfig();
        var c = d with
        {
            VocabSize = Int(r, "vocab_size", d.VocabSize, source),
            HiddenSize = Int(r, "hidden_size", d.HiddenSize, source),
            NumHiddenLayers = Int(r, "num_hidden_layers", d.NumHiddenLayers, source),
            NumAttentionHeads = Int(r, "num_attention_heads", d.NumAttentionHeads, source),
            IntermediateSize = Int(r, "intermediate_size", d.IntermediateSize, source),
            MaxPositionEmbeddings = Int(r, "max_position_embeddings", d.MaxPositionEmbeddings, source),
            TypeVocabSize = Int(r, "type_vocab_size", d.TypeVocabSize, source),
            LayerNormEps = Float(r, "layer_norm_eps", d.LayerNormEps, source),
            HiddenAct = Str(r, "hidden_act", d.HiddenAct),
            HiddenDropoutProb = Float(r, "hidden_dropout_prob", d.HiddenDropoutProb, source),
            AttentionProbsDropoutProb = Float(r, "attention_probs_dropout_prob", d.AttentionProbsDropoutProb, source),
            PadTokenId = r.TryGetProperty("pad_token_id", out var p) ? (p.ValueKind == JsonValueKind.Null ? null : p.GetInt32()) : d.PadTokenId,
            PositionEmbeddingType = Str(r, "position_embedding_type", d.PositionEmbeddingType),
            AddPoolingLayer = r.TryGetProperty("add_pooling_layer", out var ap) ? ap.GetBoolean() : d.AddPoolingLayer,
        };
        c.Validate(source);
        return c;
    }

    /// <summary>The config as HF config.json fields (what <c>save_pretrained</c> writes for a BertModel).</summary>
    public Dictionary<string, object?> ToJsonFields() => new()
    {
        ["architectures"] = new[] { "BertModel" },
        ["model_type"] = "bert",
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["intermediate_size"] = IntermediateSize,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["type_vocab_size"] = TypeVocabSize,
        ["layer_norm_eps"] = (double)LayerNormEps,
        ["hidden_act"] = HiddenAct,
        ["hidden_dropout_prob"] = (double)HiddenDropoutProb,
        ["attention_probs_dropout_prob"] = (double)AttentionProbsDropoutProb,
        ["pad_token_id"] = PadTokenId,
        ["position_embedding_type"] = PositionEmbeddingType,
    };

    private static int Int(JsonElement r, string name, int dflt, string source)
    {
        if (!r.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return dflt;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
            throw new InvalidDataException($"{source}: '{name}' must be an integer, got {v.GetRawText()}.");
        return i;
    }

    private static float Float(JsonElement r, string name, float dflt, string source)
    {
        if (!r.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return dflt;
        if (v.ValueKind != JsonValueKind.Number) throw new InvalidDataException($"{source}: '{name}' must be a number, got {v.GetRawText()}.");
        return (float)v.GetDouble();
    }

    private static string Str(JsonElement r, string name, string dflt)
        => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : dflt;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"BERT(vocab {VocabSize}, hidden {HiddenSize}, {NumHiddenLayers} layers, {NumAttentionHeads} heads, intermediate {IntermediateSize}, max_position {MaxPositionEmbeddings}, pooler {AddPoolingLayer})");
}
