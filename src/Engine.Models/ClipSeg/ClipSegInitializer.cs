using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Models.Loading;
using Engine.Text.Clip;
using Engine.Weights;

namespace Engine.Models.ClipSeg;

/// <summary>
/// <c>engine init --family clipseg --preset tiny|rd64-refined --vocab DIR --out DIR [--seed N]</c>: a random-initialised
/// folder in the Hugging Face layout (config.json, model.safetensors, vocab.json, merges.txt, tokenizer_config.json,
/// special_tokens_map.json, preprocessor_config.json) that every command accepts.
/// </summary>
public sealed class ClipSegInitializer : IModelInitializer
{
    public string Family => "clipseg";

    public IReadOnlyList<string> Presets => ClipSegPresets.Names;

    public string Initialize(ModelInitRequest request)
    {
        var preset = request.Preset ?? throw new ArgumentException($"--preset is required for clipseg ({string.Join(", ", ClipSegPresets.Names)}).");
        var vocabDir = request.VocabDir ?? throw new ArgumentException("--vocab DIR is required for clipseg: a folder with the CLIP vocab.json and merges.txt.");
        if (!Directory.Exists(vocabDir)) throw new DirectoryNotFoundException($"Vocabulary folder '{vocabDir}' does not exist.");
        foreach (var f in new[] { "vocab.json", "merges.txt" })
            if (!File.Exists(Path.Combine(vocabDir, f))) throw new FileNotFoundException($"Vocabulary folder '{vocabDir}' has no {f}.");
        var tokenizer = ClipTokenizer.FromFolder(vocabDir);
        var (config, inputSize) = ClipSegPresets.Get(preset, tokenizer.VocabularySize);

        var rng = new Random(request.Seed);
        var model = new ClipSegForImageSegmentation(config, rng);
        Clip.ClipInitialization.Apply(model, rng, config.Vision.NumHiddenLayers);

        var outDir = Path.GetFullPath(request.OutDir);
        if (File.Exists(outDir)) throw new IOException($"--out '{request.OutDir}' is a file, not a folder.");
        Directory.CreateDirectory(outDir);

        var cfg = config.ToJson();
        cfg["transformers_version"] = "4.40.2";
        WriteJson(Path.Combine(outDir, "config.json"), cfg);
        SafetensorsFile.Write(Path.Combine(outDir, "model.safetensors"), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });

        CopyFile(Path.Combine(vocabDir, "vocab.json"), Path.Combine(outDir, "vocab.json"));
        CopyFile(Path.Combine(vocabDir, "merges.txt"), Path.Combine(outDir, "merges.txt"));
        CopyOrWrite(vocabDir, outDir, "tokenizer_config.json", () => new JsonObject
        {
            ["tokenizer_class"] = "CLIPTokenizer", ["model_max_length"] = 77, ["bos_token"] = "<|startoftext|>",
            ["eos_token"] = "<|endoftext|>", ["unk_token"] = "<|endoftext|>", ["pad_token"] = "<|endoftext|>",
        });
        CopyOrWrite(vocabDir, outDir, "special_tokens_map.json", () => new JsonObject
        {
            ["bos_token"] = "<|startoftext|>", ["eos_token"] = "<|endoftext|>", ["unk_token"] = "<|endoftext|>", ["pad_token"] = "<|endoftext|>",
        });
        var spec = ClipSegSegmenter.CidasPreprocessing;
        var rescale = 1.0 / 255.0;
        WriteJson(Path.Combine(outDir, "preprocessor_config.json"), new JsonObject
        {
            ["do_normalize"] = true, ["do_rescale"] = true, ["do_resize"] = true,
            ["image_mean"] = new JsonArray(spec.Mean.Select(x => (JsonNode)(double)x).ToArray()),
            ["image_std"] = new JsonArray(spec.Std.Select(x => (JsonNode)(double)x).ToArray()),
            ["image_processor_type"] = "ViTImageProcessor", ["processor_class"] = "CLIPSegProcessor",
            ["resample"] = 2, ["rescale_factor"] = rescale,
            ["size"] = new JsonObject { ["height"] = inputSize, ["width"] = inputSize },
        });
        return string.Create(CultureInfo.InvariantCulture, $"wrote CLIPSeg '{preset}' ({model.ParameterCount():N0} parameters, seed {request.Seed}, {inputSize}x{inputSize} inputs) to {outDir}");
    }

    private static void CopyOrWrite(string fromDir, string toDir, string name, Func<JsonObject> fallback)
    {
        var src = Path.Combine(fromDir, name);
        if (File.Exists(src)) CopyFile(src, Path.Combine(toDir, name));
        else WriteJson(Path.Combine(toDir, name), fallback());
    }

    /// <summary>Copies content only, so the new folder is writable even when the vocabulary folder is read-only.</summary>
    private static void CopyFile(string from, string to) => File.WriteAllBytes(to, File.ReadAllBytes(from));

    private static void WriteJson(string path, JsonNode node)
        => File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
