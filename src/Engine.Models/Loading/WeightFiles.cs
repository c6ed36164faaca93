using System.Text.Json.Nodes;
using Engine.Weights;

namespace Engine.Models.Loading;

/// <summary>Reads a checkpoint file (safetensors, sharded safetensors index, torch zip) into float32 tensors under their
/// checkpoint key names, with the file named in every error.</summary>
public static class WeightFiles
{
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        try
        {
            if (path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) return LoadSharded(path);
            if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || SafetensorsFile.LooksLikeSafetensors(path)) return SafetensorsFile.ReadAll(path);
            return LoadTorch(path);
        }
        catch (Exception e) when (e is not (FileNotFoundException or OutOfMemoryException) && !e.Message.Contains(Path.GetFileName(path), StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Cannot read weights from '{path}': {e.Message}", e);
        }
    }

    /// <summary>model.safetensors.index.json: {"weight_map": {key: shard file}}; every shard read, keys checked against the map.</summary>
    private static Dictionary<string, Tensor> LoadSharded(string indexPath)
    {
        var root = JsonNode.Parse(File.ReadAllText(indexPath)) as JsonObject
                   ?? throw new InvalidDataException($"'{indexPath}' is not a JSON object.");
        if (root["weight_map"] is not JsonObject map) throw new InvalidDataException($"'{indexPath}' has no \"weight_map\" object.");
        var dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var shards = map.Select(kv => kv.Value?.GetValue<string>() ?? throw new InvalidDataException($"'{indexPath}': weight_map[\"{kv.Key}\"] is not a file name."))
            .Distinct(StringComparer.Ordinal).ToList();
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var shard in shards)
        {
            if (shard.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(shard))
                throw new InvalidDataException($"'{indexPath}' names shard '{shard}' outside its folder.");
            var p = Path.Combine(dir, shard);
            foreach (var (k, t) in Load(p))
            {
                if (!all.TryAdd(k, t)) throw new InvalidDataException($"Key '{k}' appears in more than one shard of '{indexPath}'.");
            }
        }
        var missing = map.Select(kv => kv.Key).Where(k => !all.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"'{indexPath}' lists keys that no shard holds: {string.Join(", ", missing.Take(20))}.");
        return all;
    }

    private static Dictionary<string, Tensor> LoadTorch(string path)
        => throw new NotSupportedException($"'{path}' is a torch checkpoint; reading it needs the safe unpickler (Engine.Weights.CheckpointReader), which is not available yet. Convert it to model.safetensors first.");
}
