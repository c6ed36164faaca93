using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Models.Bert;

namespace Engine.Models.BiomedClip;

/// <summary>
/// Everything a BiomedCLIP (open_clip <c>CustomTextCLIP</c>: timm ViT + HF BERT) needs. open_clip's own
/// <c>open_clip_config.json</c> only NAMES the timm model and the HF text model, so <see cref="Resolve"/> completes it
/// from, in order: an <c>arch.json</c> / <c>text_config.json</c> beside it (explicit numbers), the known timm and
/// BiomedBERT names, and the checkpoint's tensor shapes (which fix every size except head counts).
/// </summary>
public sealed record BiomedClipConfig
{
    /// <summary>OpenAI CLIP normalisation constants, which BiomedCLIP uses too.</summary>
    public static readonly float[] OpenAiMean = { 0.48145466f, 0.4578275f, 0.40821073f };
    public static readonly float[] OpenAiStd = { 0.26862954f, 0.26130258f, 0.27577711f };

    public int EmbedDim { get; init; } = 512;
    public TimmVitConfig Vision { get; init; } = new();
    public BertConfig Text { get; init; } = new() { AddPoolingLayer = false };
    public int ContextLength { get; init; } = 256;
    public float LogitScaleInit { get; init; } = (float)Math.Log(1 / 0.07);
    public float[] Mean { get; init; } = OpenAiMean;
    public float[] Std { get; init; } = OpenAiStd;
    public string TimmModelName { get; init; } = "vit_base_patch16_224";
    public string HfModelName { get; init; } = "microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract";

    /// <summary>The released microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224 architecture.</summary>
    public static BiomedClipConfig Base => new();

    public void Validate(string source = "BiomedCLIP config")
    {
        Vision.Validate(source + " (vision)");
        Text.Validate(source + " (text)");
        if (EmbedDim <= 0) throw new InvalidDataException($"{source}: embed_dim must be positive, got {EmbedDim}.");
        if (ContextLength <= 0 || ContextLength > Text.MaxPositionEmbeddings)
            throw new InvalidDataException($"{source}: context_length {ContextLength} must be in 1..max_position_embeddings ({Text.MaxPositionEmbeddings}).");
        if (Mean.Length != Vision.InChannels || Std.Length != Vision.InChannels)
            throw new InvalidDataException($"{source}: mean/std need {Vision.InChannels} values each.");
    }

    /// <summary>
    /// Config of an open_clip BiomedCLIP folder. <paramref name="state"/> (the checkpoint) supplies the sizes the
    /// JSON files leave implicit; when it is null only the JSON files and name tables are used.
    /// </summary>
    public static BiomedClipConfig Resolve(string folder, IReadOnlyDictionary<string, Tensor>? state)
    {
        var cfgPath = Path.Combine(folder, "open_clip_config.json");
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"{folder} has no open_clip_config.json (not an open_clip model folder).", cfgPath);
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(cfgPath)) ?? throw new InvalidDataException($"{cfgPath} is empty."); }
        catch (JsonException e) { throw new InvalidDataException($"{cfgPath}: not valid JSON ({e.Message}).", e); }
        var modelCfg = root["model_cfg"] ?? root; // hub style {model_cfg, preprocess_cfg} or a bare model config
        var visionCfg = modelCfg["vision_cfg"];
        var textCfg = modelCfg["text_cfg"];
        var pre = root["preprocess_cfg"];

        JsonNode? arch = null;
        var archPath = Path.Combine(folder, "arch.json");
        if (File.Exists(archPath)) arch = JsonNode.Parse(File.ReadAllText(archPath));

        var d = new BiomedClipConfig();
        string timmName = visionCfg?["timm_model_name"]?.GetValue<string>() ?? d.TimmModelName;
        string hfName = textCfg?["hf_model_name"]?.GetValue<string>() ?? d.HfModelName;
        CheckSupported(visionCfg, textCfg, cfgPath);

        // ---- vision
        var vision = TimmVitConfig.FromTimmName(timmName) ?? new TimmVitConfig();
        var av = arch?["vision"];
        vision = vision with
        {
            ImageSize = IntOr(av?["image_size"], IntOr(visionCfg?["image_size"], vision.ImageSize)),
            PatchSize = IntOr(av?["patch_size"], vision.PatchSize),
            Width = IntOr(av?["width"], vision.Width),
            Depth = IntOr(av?["depth"], vision.Depth),
            Heads = IntOr(av?["heads"], vision.Heads),
            MlpHidden = IntOr(av?["mlp_hidden"], vision.MlpHidden),
            LayerNormEps = FloatOr(av?["layer_norm_eps"], vision.LayerNormEps),
        };
        bool visionHeadsExplicit = av?["heads"] is not null || TimmVitConfig.FromTimmName(timmName) is not null;

        // ---- text
        BertConfig text;
        var textJson = Path.Combine(folder, "text_config.json");
        bool textHeadsExplicit;
        if (File.Exists(textJson)) { text = BertConfig.FromJsonFile(textJson); textHeadsExplicit = true; }
        else { text = new BertConfig(); textHeadsExplicit = IsKnownBertBase(hfName); }
        var at = arch?["text"];
        text = text with
        {
            VocabSize = IntOr(at?["vocab_size"], text.VocabSize),
            HiddenSize = IntOr(at?["hidden_size"], text.HiddenSize),
            NumHiddenLayers = IntOr(at?["num_hidden_layers"], text.NumHiddenLayers),
            NumAttentionHeads = IntOr(at?["num_attention_heads"], text.NumAttentionHeads),
            IntermediateSize = IntOr(at?["intermediate_size"], text.IntermediateSize),
            MaxPositionEmbeddings = IntOr(at?["max_position_embeddings"], text.MaxPositionEmbeddings),
            TypeVocabSize = IntOr(at?["type_vocab_size"], text.TypeVocabSize),
            LayerNormEps = FloatOr(at?["layer_norm_eps"], text.LayerNormEps),
            PadTokenId = at?["pad_token_id"] is { } p ? p.GetValue<int>() : text.PadTokenId,
            AddPoolingLayer = false,
        };
        textHeadsExplicit |= at?["num_attention_heads"] is not null;

        int embedDim = IntOr(modelCfg["embed_dim"], IntOr(arch?["embed_dim"], d.EmbedDim));
        int context = IntOr(textCfg?["context_length"], IntOr(at?["context_length"], d.ContextLength));

        // ---- sizes from the checkpoint
        if (state is not null)
        {
            vision = ShapesToVision(vision, state, visionHeadsExplicit);
            text = ShapesToText(text, state, textHeadsExplicit);
            if (state.TryGetValue("visual.head.proj.weight", out var hp)) embedDim = hp.Shape[0];
        }

        var cfg = d with
        {
            EmbedDim = embedDim,
            Vision = vision,
            Text = text,
            ContextLength = context,
            LogitScaleInit = arch?["logit_scale_init"] is { } ls ? (float)ls.GetValue<double>() : d.LogitScaleInit,
            Mean = Floats(pre?["mean"]) ?? d.Mean,
            Std = Floats(pre?["std"]) ?? d.Std,
            TimmModelName = timmName,
            HfModelName = hfName,
        };
        cfg.Validate(cfgPath);
        return cfg;
    }

    private static void CheckSupported(JsonNode? visionCfg, JsonNode? textCfg, string path)
    {
        string? pool = visionCfg?["timm_pool"]?.GetValue<string>();
        if (pool is not null && pool != "" && pool != "token")
            throw new NotSupportedException($"{path}: timm_pool '{pool}' is not supported (BiomedCLIP uses \"\" = class-token pooling).");
        string? proj = visionCfg?["timm_proj"]?.GetValue<string>();
        if (proj is not null && proj != "linear")
            throw new NotSupportedException($"{path}: timm_proj '{proj}' is not supported (BiomedCLIP uses \"linear\").");
        if (visionCfg?["timm_proj_bias"] is { } pb && pb.GetValue<bool>())
            throw new NotSupportedException($"{path}: timm_proj_bias true is not supported (BiomedCLIP's head has no bias).");
        string? hfProj = textCfg?["hf_proj_type"]?.GetValue<string>();
        if (hfProj is not null && hfProj != "mlp")
            throw new NotSupportedException($"{path}: hf_proj_type '{hfProj}' is not supported (BiomedCLIP uses \"mlp\").");
        string? pooler = textCfg?["hf_pooler_type"]?.GetValue<string>();
        if (pooler is not null && pooler != "cls_last_hidden_state_pooler")
            throw new NotSupportedException($"{path}: hf_pooler_type '{pooler}' is not supported (BiomedCLIP uses \"cls_last_hidden_state_pooler\").");
    }

    private static bool IsKnownBertBase(string hfName)
        => hfName.Contains("BiomedBERT-base", StringComparison.OrdinalIgnoreCase)
           || hfName.Contains("PubMedBERT-base", StringComparison.OrdinalIgnoreCase)
           || hfName.Contains("bert-base", StringComparison.OrdinalIgnoreCase);

    private static TimmVitConfig ShapesToVision(TimmVitConfig v, IReadOnlyDictionary<string, Tensor> s, bool headsExplicit)
    {
        const string p = "visual.trunk.";
        if (!s.TryGetValue(p + "patch_embed.proj.weight", out var pw) || !s.TryGetValue(p + "pos_embed", out var pos))
            return v;
        int width = pw.Shape[0], patch = pw.Shape[2];
        int depth = 0;
        while (s.ContainsKey($"{p}blocks.{depth}.attn.qkv.weight")) depth++;
        int grid = (int)Math.Round(Math.Sqrt(pos.Shape[1] - 1));
        int mlp = s.TryGetValue(p + "blocks.0.mlp.fc1.weight", out var fc1) ? fc1.Shape[0] : v.MlpHidden;
        return v with
        {
            Width = width,
            PatchSize = patch,
            InChannels = pw.Shape[1],
            Depth = depth > 0 ? depth : v.Depth,
            ImageSize = grid * patch,
            MlpHidden = mlp,
            Heads = headsExplicit && width % v.Heads == 0 ? v.Heads : DefaultHeads(width),
        };
    }

    private static BertConfig ShapesToText(BertConfig t, IReadOnlyDictionary<string, Tensor> s, bool headsExplicit)
    {
        const string p = "text.transformer.";
        if (!s.TryGetValue(p + "embeddings.word_embeddings.weight", out var we)) return t;
        int layers = 0;
        while (s.ContainsKey($"{p}encoder.layer.{layers}.attention.self.query.weight")) layers++;
        int hidden = we.Shape[1];
        return t with
        {
            VocabSize = we.Shape[0],
            HiddenSize = hidden,
            MaxPositionEmbeddings = s.TryGetValue(p + "embeddings.position_embeddings.weight", out var pe) ? pe.Shape[0] : t.MaxPositionEmbeddings,
            TypeVocabSize = s.TryGetValue(p + "embeddings.token_type_embeddings.weight", out var tt) ? tt.Shape[0] : t.TypeVocabSize,
            NumHiddenLayers = layers > 0 ? layers : t.NumHiddenLayers,
            IntermediateSize = s.TryGetValue(p + "encoder.layer.0.intermediate.dense.weight", out var im) ? im.Shape[0] : t.IntermediateSize,
            NumAttentionHeads = headsExplicit && hidden % t.NumAttentionHeads == 0 ? t.NumAttentionHeads : DefaultHeads(hidden),
        };
    }

    /// <summary>Head dimension 64, the convention of every standard ViT and BERT size.</summary>
    private static int DefaultHeads(int width) => width % 64 == 0 ? width / 64 : 1;

    private static int IntOr(JsonNode? n, int d) => n is null ? d : n.GetValue<int>();
    private static float FloatOr(JsonNode? n, float d) => n is null ? d : (float)n.GetValue<double>();
    private static float[]? Floats(JsonNode? n) => n is JsonArray a ? a.Select(x => (float)x!.GetValue<double>()).ToArray() : null;

    /// <summary>The explicit form written into model folders this engine creates (every number spelled out).</summary>
    public JsonObject ToJson() => new()
    {
        ["embed_dim"] = EmbedDim,
        ["context_length"] = ContextLength,
        ["logit_scale_init"] = LogitScaleInit,
        ["timm_model_name"] = TimmModelName,
        ["hf_model_name"] = HfModelName,
        ["vision"] = new JsonObject
        {
            ["image_size"] = Vision.ImageSize, ["patch_size"] = Vision.PatchSize, ["in_channels"] = Vision.InChannels,
            ["width"] = Vision.Width, ["depth"] = Vision.Depth, ["heads"] = Vision.Heads, ["mlp_hidden"] = Vision.MlpHidden,
            ["layer_norm_eps"] = Vision.LayerNormEps,
        },
        ["text"] = JsonSerializer.SerializeToNode(Text.ToJsonFields()),
        ["mean"] = new JsonArray(Mean.Select(x => (JsonNode)x).ToArray()),
        ["std"] = new JsonArray(Std.Select(x => (JsonNode)x).ToArray()),
    };

    /// <summary>Reads the form <see cref="ToJson"/> writes.</summary>
    public static BiomedClipConfig FromJson(JsonNode n, string source)
    {
        var v = n["vision"] ?? throw new InvalidDataException($"{source}: missing 'vision'.");
        var t = n["text"] ?? throw new InvalidDataException($"{source}: missing 'text'.");
        var d = new BiomedClipConfig();
        var cfg = d with
        {
            EmbedDim = IntOr(n["embed_dim"], d.EmbedDim),
            ContextLength = IntOr(n["context_length"], d.ContextLength),
            LogitScaleInit = FloatOr(n["logit_scale_init"], d.LogitScaleInit),
            TimmModelName = n["timm_model_name"]?.GetValue<string>() ?? d.TimmModelName,
            HfModelName = n["hf_model_name"]?.GetValue<string>() ?? d.HfModelName,
            Vision = new TimmVitConfig
            {
                ImageSize = IntOr(v["image_size"], 224), PatchSize = IntOr(v["patch_size"], 16), InChannels = IntOr(v["in_channels"], 3),
                Width = IntOr(v["width"], 768), Depth = IntOr(v["depth"], 12), Heads = IntOr(v["heads"], 12),
                MlpHidden = IntOr(v["mlp_hidden"], 3072), LayerNormEps = FloatOr(v["layer_norm_eps"], 1e-6f),
            },
            Text = BertConfig.FromJson(t.ToJsonString(), source + " (text)") with { AddPoolingLayer = false },
            Mean = Floats(n["mean"]) ?? d.Mean,
            Std = Floats(n["std"]) ?? d.Std,
        };
        cfg.Validate(source);
        return cfg;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"BiomedCLIP(embed {EmbedDim}; ViT {Vision.ImageSize}px/{Vision.PatchSize}, width {Vision.Width}, depth {Vision.Depth}, heads {Vision.Heads}; {Text}; context {ContextLength})");
}
