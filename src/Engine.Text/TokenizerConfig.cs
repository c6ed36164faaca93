using System.Text.Json;

namespace Engine.Text;

/// <summary>
/// The few settings the tokenizers read from a Hugging Face folder's tokenizer_config.json and
/// special_tokens_map.json (the latter wins where both name a special token). Missing files are fine.
/// </summary>
public sealed record TokenizerConfig
{
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public string? UnkToken { get; init; }
    public string? ClsToken { get; init; }
    public string? SepToken { get; init; }
    public string? MaskToken { get; init; }
    public bool? DoLowerCase { get; init; }
    public bool? StripAccents { get; init; }
    public bool? TokenizeChineseChars { get; init; }

    /// <summary>model_max_length when it is a real limit (HF writes 1e30 for "none").</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary>Reads the optional config files of <paramref name="folder"/>.</summary>
    public static TokenizerConfig Read(string folder)
    {
        var config = new TokenizerConfig();
        config = Merge(config, Path.Combine(folder, "tokenizer_config.json"));
        config = Merge(config, Path.Combine(folder, "special_tokens_map.json"));
        return config;
    }

    private static TokenizerConfig Merge(TokenizerConfig config, string path)
    {
        if (!File.Exists(path)) return config;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"'{path}' is not a JSON object.");
            return config with
            {
                BosToken = Token(root, "bos_token") ?? config.BosToken,
                EosToken = Token(root, "eos_token") ?? config.EosToken,
                PadToken = Token(root, "pad_token") ?? config.PadToken,
                UnkToken = Token(root, "unk_token") ?? config.UnkToken,
                ClsToken = Token(root, "cls_token") ?? config.ClsToken,
                SepToken = Token(root, "sep_token") ?? config.SepToken,
                MaskToken = Token(root, "mask_token") ?? config.MaskToken,
                DoLowerCase = Bool(root, "do_lower_case") ?? config.DoLowerCase,
                StripAccents = Bool(root, "strip_accents") ?? config.StripAccents,
                TokenizeChineseChars = Bool(root, "tokenize_chinese_chars") ?? config.TokenizeChineseChars,
                ModelMaxLength = MaxLength(root) ?? config.ModelMaxLength,
            };
        }
    }

    /// <summary>A special token given as a string or as {"content": "..."}.</summary>
    private static string? Token(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            return c.GetString();
        return null;
    }

    private static bool? Bool(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static int? MaxLength(JsonElement root)
    {
        if (!root.TryGetProperty("model_max_length", out var v) || v.ValueKind != JsonValueKind.Number) return null;
        double d = v.GetDouble();
        return d is >= 2 and <= 1_000_000 ? (int)d : null;
    }
}
