using Engine.Weights;

namespace Engine.Training.Checkpoints;

/// <summary>
/// The non-weight files of a model folder (config.json, tokenizer files, preprocessor_config.json, open_clip or CRIS
/// configs, ...), captured in memory when training starts, so every checkpoint written later is a complete model
/// folder — the same files plus the current weights — that every command loads, even if the source folder is gone.
/// </summary>
public sealed class ModelFolderTemplate
{
    public const string WeightsFileName = "model.safetensors";

    private readonly List<(string Name, byte[] Content)> _files;

    private ModelFolderTemplate(List<(string, byte[])> files) { _files = files; }

    public IReadOnlyList<string> FileNames => _files.Select(f => f.Name).ToList();

    /// <summary>Weight files of every layout, and the training files a checkpoint adds: never copied.</summary>
    public static bool IsExcluded(string fileName)
    {
        var n = fileName.ToLowerInvariant();
        return n.EndsWith(".safetensors", StringComparison.Ordinal) || n.EndsWith(".bin", StringComparison.Ordinal)
            || n.EndsWith(".pth", StringComparison.Ordinal) || n.EndsWith(".pt", StringComparison.Ordinal)
            || n.EndsWith(".ckpt", StringComparison.Ordinal) || n.EndsWith(".safetensors.index.json", StringComparison.Ordinal)
            || n.EndsWith(".bin.index.json", StringComparison.Ordinal)
            || n == TrainerStateFile.FileName || n.StartsWith('.');
    }

    /// <summary>Reads the folder's top-level non-weight files (model folders are flat).</summary>
    public static ModelFolderTemplate Capture(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Model folder '{folder}' does not exist.");
        var files = Directory.EnumerateFiles(folder)
            .Select(p => Path.GetFileName(p))
            .Where(n => !IsExcluded(n))
            .OrderBy(n => n, StringComparer.Ordinal)
            .Select(n => (n, File.ReadAllBytes(Path.Combine(folder, n))))
            .ToList();
        return new ModelFolderTemplate(files);
    }

    /// <summary>Writes the captured files and <paramref name="weights"/> as model.safetensors into <paramref name="folder"/>.</summary>
    public void WriteModel(string folder, IReadOnlyDictionary<string, Tensor> weights, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in _files) File.WriteAllBytes(Path.Combine(folder, name), content);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        if (metadata != null) foreach (var (k, v) in metadata) meta[k] = v;
        SafetensorsFile.Write(Path.Combine(folder, WeightsFileName), ToCpu(weights), meta);
    }

    private static Dictionary<string, Tensor> ToCpu(IReadOnlyDictionary<string, Tensor> weights)
        => weights.ToDictionary(kv => kv.Key, kv => kv.Value.Detach().To(Device.Cpu).Contiguous(), StringComparer.Ordinal);
}
