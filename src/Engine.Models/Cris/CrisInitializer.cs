using System.Globalization;
using Engine.Models.Loading;
using Engine.Text.Clip;
using Engine.Weights;

namespace Engine.Models.Cris;

/// <summary>
/// <c>engine init --family cris --clip-backbone RN50.pt [--vocab DIR] --out DIR [--seed N]</c>: CRIS's starting point —
/// the CLIP RN50/RN101 backbone from OpenAI's TorchScript file (or a state-dict export; see <see cref="CrisClipImport"/>)
/// and CRIS's own modules (attention-pool <c>connect</c>, neck, decoder, projector) randomly initialised with torch's
/// defaults, head config per CRIS's released yaml for that backbone. <c>--preset tiny|rn50|rn101</c> without
/// <c>--clip-backbone</c> gives a fully random model (CLIP's init scheme for the backbone). The folder holds
/// <c>cris.yaml</c>, <c>model.safetensors</c> and, with --vocab, the CLIP tokenizer files.
/// </summary>
public sealed class CrisInitializer : IModelInitializer
{
    public const string YamlName = "cris.yaml";

    public string Family => "cris";

    public IReadOnlyList<string> Presets => CrisPresets.Names;

    public string Initialize(ModelInitRequest request)
    {
        string? backbone = request.Options.TryGetValue("clip-backbone", out var b) && !string.IsNullOrWhiteSpace(b) ? b : null;
        ClipTokenizer? tokenizer = null;
        if (request.VocabDir != null)
        {
            if (!Directory.Exists(request.VocabDir)) throw new DirectoryNotFoundException($"Vocabulary folder '{request.VocabDir}' does not exist.");
            tokenizer = ClipTokenizer.FromFolder(request.VocabDir);
        }
        var rng = new Random(request.Seed);
        CrisModel model;
        string what;
        if (backbone != null)
        {
            if (!File.Exists(backbone)) throw new FileNotFoundException($"--clip-backbone '{backbone}' does not exist.", backbone);
            var import = CrisClipImport.Read(backbone);
            CrisConfig config;
            if (request.Preset is { } p)
            {
                var (presetConfig, presetClip) = CrisPresets.Get(p, import.Arch.VocabSize);
                if (!presetClip.VisionLayers.SequenceEqual(import.Arch.VisionLayers) || presetClip.EmbedDim != import.Arch.EmbedDim || presetClip.TextWidth != import.Arch.TextWidth)
                    throw new ArgumentException($"--preset {p} does not match the backbone in '{backbone}' ({import.Arch}).");
                config = presetConfig with { ClipPretrain = backbone };
            }
            else config = CrisPresets.ForBackbone(import.Arch, backbone);
            model = new CrisModel(config, import.Arch, rng);
            var full = model.StateDict();
            foreach (var (k, t) in import.State) full["backbone." + k] = t;
            StrictLoading.Load(model, full, backbone);
            what = string.Create(CultureInfo.InvariantCulture,
                $"CLIP backbone from {Path.GetFileName(backbone)} ({import.State.Count} tensors imported; random: {import.Defaulted.Count} ({Summarise(import.Defaulted)}) + neck/decoder/proj; skipped non-parameters: {import.Ignored.Count})");
        }
        else
        {
            var preset = request.Preset ?? throw new ArgumentException($"CRIS init needs --clip-backbone RN50.pt (CRIS's starting point) or --preset ({string.Join(", ", CrisPresets.Names)}) for random weights.");
            var (config, clip) = CrisPresets.Get(preset, tokenizer?.VocabularySize ?? 49408);
            model = new CrisModel(config, clip, rng);
            CrisInitialization.ApplyClipScheme(model.Backbone, rng);
            what = $"random '{preset}' weights";
        }
        if (tokenizer != null && tokenizer.VocabularySize > model.ClipArch.VocabSize)
            throw new ArgumentException($"The tokenizer in '{request.VocabDir}' has {tokenizer.VocabularySize} tokens, more than the backbone's {model.ClipArch.VocabSize}.");
        var outDir = WriteFolder(request.OutDir, model, request.VocabDir);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"wrote CRIS ({model.ParameterCount():N0} parameters, {what}, seed {request.Seed}, {model.Config.InputSize}x{model.Config.InputSize} inputs, word_len {model.Config.WordLen}) to {outDir}");
        return request.VocabDir == null ? summary + " (no tokenizer: pass --vocab DIR to segment/train from text)" : summary;
    }

    /// <summary>Writes cris.yaml, model.safetensors and (from <paramref name="vocabDir"/>) the tokenizer files.</summary>
    public static string WriteFolder(string outDir, CrisModel model, string? vocabDir)
    {
        var dir = Path.GetFullPath(outDir);
        if (File.Exists(dir)) throw new IOException($"--out '{outDir}' is a file, not a folder.");
        Directory.CreateDirectory(dir);
        foreach (var y in Directory.EnumerateFiles(dir, "*.yaml").Concat(Directory.EnumerateFiles(dir, "*.yml")))
            if (Path.GetFileName(y) != YamlName) throw new IOException($"'{dir}' already holds another yaml ({Path.GetFileName(y)}); a CRIS folder has exactly one config.");
        File.WriteAllText(Path.Combine(dir, YamlName), model.Config.ToYaml());
        var state = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Detach().To(Device.Cpu).Contiguous(), StringComparer.Ordinal);
        SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"), state, new Dictionary<string, string> { ["format"] = "pt" });
        if (vocabDir != null)
            foreach (var f in new[] { "vocab.json", "merges.txt", "bpe_simple_vocab_16e6.txt.gz", "tokenizer_config.json", "special_tokens_map.json" })
            {
                var src = Path.Combine(vocabDir, f);
                if (File.Exists(src)) File.WriteAllBytes(Path.Combine(dir, f), File.ReadAllBytes(src));
            }
        return dir;
    }

    private static string Summarise(IReadOnlyList<string> keys)
        => keys.Count == 0 ? "none" : string.Join(", ", keys.Select(k => k.Split('.').Length > 3 ? string.Join('.', k.Split('.').Take(3)) + ".*" : k).Distinct().Take(4));
}
