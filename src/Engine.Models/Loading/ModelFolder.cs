namespace Engine.Models.Loading;

/// <summary>How a model folder describes itself.</summary>
public enum ModelFolderLayout
{
    /// <summary>Hugging Face layout: config.json with a model_type.</summary>
    HuggingFace,
    /// <summary>open_clip layout: open_clip_config.json (BiomedCLIP).</summary>
    OpenClip,
    /// <summary>CRIS layout: a *.yaml training config next to the weights.</summary>
    CrisYaml,
}

/// <summary>
/// A model folder on disk: what kind it is (config.json model_type, open_clip_config.json, or a CRIS yaml) and where its
/// weights are. Opening validates the folder so every command fails early with a message naming the path.
/// </summary>
public sealed class ModelFolder
{
    private ModelFolder(string path, ModelFolderLayout layout, string? modelType, JsonConfig? config, string descriptorFile)
    {
        Path = path; Layout = layout; ModelType = modelType; Config = config; DescriptorFile = descriptorFile;
    }

    /// <summary>Absolute folder path.</summary>
    public string Path { get; }
    public ModelFolderLayout Layout { get; }
    /// <summary>config.json's model_type (lower case) for the Hugging Face layout; null otherwise.</summary>
    public string? ModelType { get; }
    /// <summary>Parsed config.json (Hugging Face layout) or open_clip_config.json (open_clip layout); null for CRIS yaml.</summary>
    public JsonConfig? Config { get; }
    /// <summary>The file that identified the layout (config.json, open_clip_config.json or the yaml).</summary>
    public string DescriptorFile { get; }

    public static ModelFolder Open(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("No model folder given.");
        var full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full)) throw new DirectoryNotFoundException($"'{path}' is a file; --model expects a model folder (holding config.json and the weights).");
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"Model folder '{path}' does not exist.");

        var configJson = System.IO.Path.Combine(full, "config.json");
        if (File.Exists(configJson))
        {
            var cfg = JsonConfig.Parse(configJson);
            var type = cfg.StringOrNull("model_type");
            if (string.IsNullOrEmpty(type)) throw new InvalidDataException($"'{configJson}' has no \"model_type\"; cannot tell which model this folder holds.");
            return new ModelFolder(full, ModelFolderLayout.HuggingFace, type.ToLowerInvariant(), cfg, configJson);
        }
        var openClip = System.IO.Path.Combine(full, "open_clip_config.json");
        if (File.Exists(openClip)) return new ModelFolder(full, ModelFolderLayout.OpenClip, null, JsonConfig.Parse(openClip), openClip);
        var yaml = Directory.EnumerateFiles(full, "*.yaml").Concat(Directory.EnumerateFiles(full, "*.yml")).OrderBy(x => x, StringComparer.Ordinal).FirstOrDefault();
        if (yaml != null) return new ModelFolder(full, ModelFolderLayout.CrisYaml, null, null, yaml);
        throw new InvalidDataException($"'{path}' is not a model folder: it has no config.json (Hugging Face), open_clip_config.json (open_clip) or *.yaml (CRIS).");
    }

    public bool HasFile(string name) => File.Exists(System.IO.Path.Combine(Path, name));

    /// <summary>First existing file among <paramref name="candidates"/> (in order of preference), or null.</summary>
    public string? FindFile(params string[] candidates)
    {
        foreach (var c in candidates)
        {
            var p = System.IO.Path.Combine(Path, c);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Hugging Face weight files in order of preference: single safetensors, sharded safetensors index, torch .bin.</summary>
    public static readonly string[] HuggingFaceWeightFiles = { "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json" };

    /// <summary>Reads the Hugging Face weights of this folder (float32, checkpoint key names).</summary>
    public Dictionary<string, Tensor> LoadHuggingFaceWeights()
    {
        var file = FindFile(HuggingFaceWeightFiles)
                   ?? throw new FileNotFoundException($"Model folder '{Path}' has no weights: expected one of {string.Join(", ", HuggingFaceWeightFiles)}.");
        return WeightFiles.Load(file);
    }

    public override string ToString() => Layout == ModelFolderLayout.HuggingFace ? $"{Path} (model_type {ModelType})" : $"{Path} ({Layout})";
}
