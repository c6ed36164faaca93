using System.Text.Json;
using Engine.Weights.Pickle;
using Engine.Weights.Torch;

namespace Engine.Weights;

/// <summary>
/// Loads model weights from whatever a user downloaded, into a name -> tensor dictionary (Name = key):
/// <list type="bullet">
/// <item>a folder: the first present of <see cref="FolderCandidates"/> (safetensors before pickles, HF names before
/// open_clip names); if none is present, a single <c>*.pth</c>/<c>*.pt</c> in the folder (a CRIS training file);</item>
/// <item>a file, recognised by its content (not its extension): safetensors; a torch zip (<c>.bin/.pth/.pt</c>,
/// <c>torch.save</c> or TorchScript) read through the safe unpickler; a shard index <c>*.index.json</c>.</item>
/// </list>
/// Training checkpoints (<c>{epoch, state_dict, optimizer, ...}</c>) yield their <c>state_dict</c> with a DataParallel
/// <c>module.</c> prefix stripped; non-tensor entries are skipped. Corrupt or hostile files raise
/// <see cref="InvalidDataException"/> (see <see cref="UnsafeCheckpoint"/> for refused globals).
/// </summary>
public static class CheckpointReader
{
    /// <summary>Weight files looked for in a folder, in this order.</summary>
    public static readonly IReadOnlyList<string> FolderCandidates = new[]
    {
        "model.safetensors",
        "model.safetensors.index.json",
        "open_clip_model.safetensors",
        "pytorch_model.bin",
        "pytorch_model.bin.index.json",
        "open_clip_pytorch_model.bin",
    };

    /// <summary>Keys under which training checkpoints keep the model weights, tried in this order.</summary>
    public static readonly IReadOnlyList<string> StateDictKeys = new[] { "state_dict", "model_state_dict", "model", "module", "net" };

    public static Dictionary<string, Tensor> Load(string pathOrFolder)
    {
        if (Directory.Exists(pathOrFolder)) return LoadFile(ResolveWeightsFile(pathOrFolder));
        if (File.Exists(pathOrFolder)) return LoadFile(pathOrFolder);
        throw new FileNotFoundException($"no checkpoint file or model folder at '{pathOrFolder}'.", pathOrFolder);
    }

    /// <summary>The weights file <see cref="Load"/> would read from a folder.</summary>
    public static string ResolveWeightsFile(string folder)
    {
        foreach (var name in FolderCandidates)
        {
            var p = Path.Combine(folder, name);
            if (File.Exists(p)) return p;
        }
        var pickles = Directory.GetFiles(folder, "*.pth").Concat(Directory.GetFiles(folder, "*.pt")).ToList();
        if (pickles.Count == 1) return pickles[0];
        throw new FileNotFoundException(
            $"no weights in '{folder}': looked for {string.Join(", ", FolderCandidates)}" +
            (pickles.Count > 1 ? $"; found several .pth/.pt files ({string.Join(", ", pickles.Select(Path.GetFileName))}), pass one explicitly." : " and a single *.pth/*.pt."));
    }

    public static CheckpointFormat DetectFormat(string path)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return CheckpointFormat.ShardIndex;
        Span<byte> head = stackalloc byte[16];
        int n;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read)) n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) return CheckpointFormat.TorchZip;
        if (SafetensorsFile.LooksLikeSafetensors(path)) return CheckpointFormat.Safetensors;
        if (n >= 2 && head[0] == 0x80 && head[1] <= 5) return CheckpointFormat.LegacyTorch;
        return CheckpointFormat.Unknown;
    }

    public static Dictionary<string, Tensor> LoadFile(string path)
    {
        switch (DetectFormat(path))
        {
            case CheckpointFormat.Safetensors: return SafetensorsFile.ReadAll(path);
            case CheckpointFormat.TorchZip:
            {
                using var ckpt = TorchCheckpoint.Open(path);
                return ExtractStateDict(ckpt.Root, path);
            }
            case CheckpointFormat.ShardIndex: return LoadShardIndex(path);
            case CheckpointFormat.LegacyTorch:
                throw new InvalidDataException($"{path}: a legacy (PyTorch < 1.6, non-zip) torch.save file; re-save it with a current PyTorch " +
                                               "(torch.save(torch.load(f), g)) or convert it to safetensors.");
            default:
                throw new InvalidDataException($"{path}: not a recognised checkpoint (neither safetensors nor a PyTorch zip archive).");
        }
    }

    /// <summary>
    /// Finds the model weights inside an unpickled checkpoint and materialises them: a state dict itself; a training
    /// checkpoint's <c>state_dict</c>/<c>model_state_dict</c>/<c>model</c>/<c>module</c>/<c>net</c> entry; or a
    /// TorchScript module object (tensors collected by attribute path, e.g. <c>visual.conv1.weight</c>). Non-tensor
    /// values are skipped; a <c>module.</c> prefix present on every key (DataParallel) is removed. The checkpoint
    /// that produced <paramref name="root"/> must still be open.
    /// </summary>
    public static Dictionary<string, Tensor> ExtractStateDict(object? root) => ExtractStateDict(root, FileOf(root));

    // The archive a parsed checkpoint came from (for error messages), found through its first tensor.
    private static string FileOf(object? root)
    {
        try { return FindTensors(root, "<checkpoint>").FirstOrDefault().Value?.Storage.Source.File ?? "<checkpoint>"; }
        catch (InvalidDataException) { return "<checkpoint>"; }
    }

    internal static Dictionary<string, Tensor> ExtractStateDict(object? root, string file)
    {
        var refs = FindTensors(root, file);
        if (refs.Count == 0) throw new InvalidDataException($"{file}: the checkpoint holds no tensors ({Describe(root)}).");
        const string ddp = "module.";
        if (refs.All(kv => kv.Key.StartsWith(ddp, StringComparison.Ordinal)))
            refs = refs.Select(kv => new KeyValuePair<string, TorchTensorRef>(kv.Key[ddp.Length..], kv.Value)).ToList();
        var dup = refs.GroupBy(kv => kv.Key).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new InvalidDataException($"{file}: tensor key '{dup.Key}' occurs twice.");
        return TorchCheckpoint.MaterializeRefs(refs);
    }

    /// <summary>Tensor references of the state dict found in <paramref name="root"/>, by key (not materialised).</summary>
    public static List<KeyValuePair<string, TorchTensorRef>> FindTensors(object? root, string file = "<checkpoint>")
        => FindTensors(root, file, 0);

    private static List<KeyValuePair<string, TorchTensorRef>> FindTensors(object? root, string file, int depth)
    {
        // A hostile pickle can make a dict its own "model" entry; the depth bound ends such cycles.
        if (depth > 8) throw new InvalidDataException($"{file}: state dict entries are nested more than 8 levels deep (a cycle?).");
        switch (root)
        {
            case PickleObject module:
                var collected = new List<KeyValuePair<string, TorchTensorRef>>();
                CollectModuleTensors(module, "", collected, new HashSet<object>(ReferenceEqualityComparer.Instance), 0, file);
                return collected;
            case PickleDict dict:
                if (!dict.Keys.OfType<string>().Any(k => StateDictKeys.Contains(k)) || DirectTensors(dict).Count > 0)
                    return DirectTensors(dict);
                foreach (var key in StateDictKeys)
                    if (dict.TryGetValue(key, out var inner) && inner is PickleDict or PickleObject)
                    {
                        var found = FindTensors(inner, file, depth + 1);
                        if (found.Count > 0) return found;
                    }
                return new List<KeyValuePair<string, TorchTensorRef>>();
            default:
                throw new InvalidDataException($"{file}: the checkpoint's top-level object is {Describe(root)}, not a state dict or a module.");
        }
    }

    private static List<KeyValuePair<string, TorchTensorRef>> DirectTensors(PickleDict dict)
        => dict.Where(kv => kv.Key is string && kv.Value is TorchTensorRef)
               .Select(kv => new KeyValuePair<string, TorchTensorRef>((string)kv.Key, (TorchTensorRef)kv.Value!)).ToList();

    // TorchScript: a module is an object whose BUILD state is a dict of attributes; submodules are objects again.
    private static void CollectModuleTensors(PickleObject module, string prefix, List<KeyValuePair<string, TorchTensorRef>> into,
        HashSet<object> seen, int depth, string file)
    {
        if (depth > 64) throw new InvalidDataException($"{file}: modules are nested more than 64 deep at '{prefix}'.");
        if (!seen.Add(module)) return; // shared or cyclic submodule: collected under its first path
        if (module.State is not PickleDict attrs) return;
        foreach (var (k, v) in attrs)
        {
            if (k is not string name) continue;
            switch (v)
            {
                case TorchTensorRef t: into.Add(new(prefix + name, t)); break;
                case PickleObject child: CollectModuleTensors(child, prefix + name + ".", into, seen, depth + 1, file); break;
            }
        }
    }

    /// <summary>Loads a Hugging Face shard index (<c>{"weight_map": {tensor: shard file}}</c>); shards may be
    /// safetensors or torch zips. Every mapped tensor must be in its shard and no shard may add unmapped ones.</summary>
    public static Dictionary<string, Tensor> LoadShardIndex(string indexPath)
    {
        Dictionary<string, string> map;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{indexPath}: shard index without a 'weight_map' object.");
            map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{indexPath}: weight_map['{p.Name}'] is not a file name.");
                if (!map.TryAdd(p.Name, p.Value.GetString()!)) throw new InvalidDataException($"{indexPath}: tensor '{p.Name}' is listed twice.");
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{indexPath}: the shard index is not valid JSON: {e.Message}", e);
        }
        string dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var shard in map.Values.Distinct(StringComparer.Ordinal))
        {
            if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or "..")
                throw new InvalidDataException($"{indexPath}: shard name '{shard}' is not a plain file name in the index's folder.");
            string shardPath = Path.Combine(dir, shard);
            if (!File.Exists(shardPath)) throw new FileNotFoundException($"{indexPath}: shard '{shard}' is missing.", shardPath);
            if (DetectFormat(shardPath) == CheckpointFormat.ShardIndex) throw new InvalidDataException($"{indexPath}: shard '{shard}' is itself an index.");
            var tensors = LoadFile(shardPath);
            foreach (var (name, t) in tensors)
            {
                if (!map.TryGetValue(name, out var owner) || owner != shard)
                    throw new InvalidDataException($"{shardPath}: tensor '{name}' is not mapped to this shard by {Path.GetFileName(indexPath)}.");
                result.Add(name, t);
            }
        }
        var missing = map.Keys.Where(k => !result.ContainsKey(k)).Take(5).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{indexPath}: tensors missing from their shards: {string.Join(", ", missing)}{(map.Count - result.Count > 5 ? ", ..." : "")}.");
        return map.Keys.ToDictionary(k => k, k => result[k], StringComparer.Ordinal);
    }

    private static string Describe(object? o)
        => o is PickleDict d ? $"{d.Kind} with keys {string.Join(", ", d.Keys.Take(8).Select(k => k is string s ? "'" + s + "'" : PickleText.TypeName(k)))}" : PickleText.TypeName(o);
}

public enum CheckpointFormat
{
    Unknown,
    Safetensors,
    TorchZip,
    ShardIndex,
    LegacyTorch,
}
