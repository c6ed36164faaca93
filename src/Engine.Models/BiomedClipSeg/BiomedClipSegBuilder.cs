using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Models.BiomedClip;
using Engine.Models.ClipSeg;
using Engine.Models.Loading;
using Engine.Weights;

namespace Engine.Models.BiomedClipSeg;

/// <summary>What to assemble: the BiomedCLIP encoders, optionally a CLIPSeg folder to take the decoder from
/// (BiomedCLIPSeg-D), and overrides of the layer choice.</summary>
public sealed record BiomedClipSegBuildRequest
{
    /// <summary>An open_clip BiomedCLIP folder; null builds random encoders from <see cref="Preset"/>.</summary>
    public string? BiomedClipDir { get; init; }
    /// <summary>"tiny" or "base" when <see cref="BiomedClipDir"/> is null.</summary>
    public string Preset { get; init; } = "base";
    /// <summary>A CLIPSeg folder whose decoder.* weights are copied (BiomedCLIPSeg-D); null = fresh decoder (BiomedCLIPSeg).</summary>
    public string? DecoderFromDir { get; init; }
    /// <summary>Folder with vocab.txt when the BiomedCLIP folder has none (or for random encoders).</summary>
    public string? VocabDir { get; init; }
    /// <summary>CLIPSeg-convention layer indices; default: the CLIPSeg folder's, else [3, 6, 9].</summary>
    public int[]? ExtractLayers { get; init; }
    /// <summary>Added to <see cref="ExtractLayers"/> to get ViT blocks; default 1 (the study's choice).</summary>
    public int? ExtractBlockOffset { get; init; }
    public int Seed { get; init; }
}

/// <summary>
/// Assembles BiomedCLIPSeg (fresh decoder) and BiomedCLIPSeg-D (decoder copied from a CLIPSeg checkpoint) model
/// folders: config.json (model_type "biomedclipseg"), model.safetensors (biomedclip.* + decoder.*), the BiomedBERT
/// tokenizer files and preprocessor_config.json.
/// </summary>
public static class BiomedClipSegBuilder
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Builds the model in memory (weights copied and checked); see <see cref="WriteFolder"/>.</summary>
    public static BiomedClipSegModel Build(BiomedClipSegBuildRequest r)
    {
        // ---- encoders
        BiomedClipModel encoders;
        if (r.BiomedClipDir is not null) encoders = BiomedClipFolder.Load(r.BiomedClipDir);
        else
        {
            var vocab = r.VocabDir ?? throw new ArgumentException("Random BiomedCLIP encoders need a vocabulary folder (--vocab DIR with vocab.txt) to size the word table.");
            encoders = new BiomedClipModel(BiomedClipInitializer.Preset(r.Preset, BiomedClipFolderWriter.VocabSize(vocab)), r.Seed);
        }
        var bc = encoders.Config;

        // ---- decoder shape (from the CLIPSeg folder for -D) and dimension checks
        var config = new BiomedClipSegConfig { BiomedClip = bc };
        Dictionary<string, Tensor>? decoderWeights = null;
        if (r.DecoderFromDir is not null)
        {
            var folder = ModelFolder.Open(r.DecoderFromDir);
            var cs = ClipSegLoader.ReadConfig(folder);
            CheckCompatible(cs, bc, folder.Path);
            config = config with
            {
                ExtractLayers = cs.ExtractLayers,
                ReduceDim = cs.ReduceDim,
                DecoderNumAttentionHeads = cs.DecoderNumAttentionHeads,
                DecoderIntermediateSize = cs.DecoderIntermediateSize,
                ConditionalLayer = cs.ConditionalLayer,
                UseComplexTransposedConvolution = cs.UseComplexTransposedConvolution,
                DecoderLayerNormEps = cs.Vision.LayerNormEps,
                DecoderSource = folder.Path,
            };
            decoderWeights = folder.LoadHuggingFaceWeights()
                .Where(kv => kv.Key.StartsWith("decoder.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            if (decoderWeights.Count == 0) throw new InvalidDataException($"'{folder.Path}' has no decoder.* weights to copy.");
        }
        if (r.ExtractLayers is not null && decoderWeights is not null && r.ExtractLayers.Length != config.ExtractLayers.Length)
            throw new ArgumentException($"The CLIPSeg decoder has {config.ExtractLayers.Length} layers; --extract-layers must name that many layers (got {r.ExtractLayers.Length}).");
        if (r.ExtractLayers is not null) config = config with { ExtractLayers = r.ExtractLayers };
        if (r.ExtractBlockOffset is int off) config = config with { ExtractBlockOffset = off };
        config.Validate(r.DecoderFromDir is null ? "BiomedCLIPSeg" : $"BiomedCLIPSeg-D from '{r.DecoderFromDir}'");

        // ---- assemble: every key explicitly copied, strict load checks names and shapes
        var model = new BiomedClipSegModel(config, r.Seed);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in encoders.StateDict()) state["biomedclip." + k] = t;
        foreach (var (k, t) in decoderWeights ?? model.Decoder.StateDict().ToDictionary(kv => "decoder." + kv.Key, kv => kv.Value)) state[k] = t;
        model.LoadStateDict(state, null, r.DecoderFromDir is null ? "BiomedCLIP encoders + fresh decoder" : $"BiomedCLIP encoders + decoder of '{r.DecoderFromDir}'");
        model.Eval();
        return model;
    }

    /// <summary>The dimension agreements BiomedCLIPSeg-D needs, each with a clear error.</summary>
    public static void CheckCompatible(ClipSegConfig cs, BiomedClipConfig bc, string clipsegDir)
    {
        if (cs.Vision.HiddenSize != bc.Vision.Width)
            throw new InvalidDataException($"Cannot reuse the decoder of '{clipsegDir}': its reduces take {cs.Vision.HiddenSize}-d activations (CLIP vision hidden_size) but the BiomedCLIP ViT is {bc.Vision.Width}-d.");
        if (cs.ProjectionDim != bc.EmbedDim)
            throw new InvalidDataException($"Cannot reuse the decoder of '{clipsegDir}': its FiLM layers take a {cs.ProjectionDim}-d condition (projection_dim) but BiomedCLIP's text embedding is {bc.EmbedDim}-d.");
        if (cs.Vision.PatchSize != bc.Vision.PatchSize)
            throw new InvalidDataException($"Cannot reuse the decoder of '{clipsegDir}': its transposed-convolution head upsamples {cs.Vision.PatchSize}-pixel patches but the BiomedCLIP ViT uses {bc.Vision.PatchSize}-pixel patches.");
    }

    /// <summary>Writes a complete model folder that every command (forward, segment, train, test) opens.</summary>
    public static string WriteFolder(string outDir, BiomedClipSegModel model, string? tokenizerDir, string? fallbackVocabDir)
    {
        Directory.CreateDirectory(outDir);
        var c = model.Config;
        File.WriteAllText(Path.Combine(outDir, "config.json"), c.ToJson().ToJsonString(Indented));
        SafetensorsFile.Write(Path.Combine(outDir, "model.safetensors"), model.StateDict(),
            new Dictionary<string, string> { ["format"] = "pt", ["written_by"] = "engine init --family biomedclipseg", ["decoder_source"] = c.DecoderSource ?? "fresh" });
        var pre = new JsonObject
        {
            ["image_processor_type"] = "ViTImageProcessor",
            ["do_resize"] = true,
            ["size"] = new JsonObject { ["height"] = c.BiomedClip.Vision.ImageSize, ["width"] = c.BiomedClip.Vision.ImageSize },
            ["resample"] = 3,
            ["do_rescale"] = true,
            ["rescale_factor"] = 1.0 / 255,
            ["do_normalize"] = true,
            ["image_mean"] = new JsonArray(c.BiomedClip.Mean.Select(x => (JsonNode)x).ToArray()),
            ["image_std"] = new JsonArray(c.BiomedClip.Std.Select(x => (JsonNode)x).ToArray()),
        };
        File.WriteAllText(Path.Combine(outDir, "preprocessor_config.json"), pre.ToJsonString(Indented));
        bool tok = (tokenizerDir is not null && BiomedClipFolderWriter.CopyTokenizer(tokenizerDir, outDir))
                   || (fallbackVocabDir is not null && BiomedClipFolderWriter.CopyTokenizer(fallbackVocabDir, outDir));
        string kind = c.DecoderSource is null ? "BiomedCLIPSeg (fresh decoder)" : $"BiomedCLIPSeg-D (decoder from {c.DecoderSource})";
        string note = tok ? "" : " (no vocab.txt found: text prompts need --vocab DIR or the tokenizer files copied in)";
        return string.Create(CultureInfo.InvariantCulture, $"{kind}: {model.ParameterCount():N0} parameters, ViT blocks [{string.Join(", ", c.ExtractBlocks)}] -> {outDir}{note}");
    }
}
