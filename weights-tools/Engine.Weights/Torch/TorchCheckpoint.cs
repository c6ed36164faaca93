using Engine.Weights.Pickle;

namespace Engine.Weights.Torch;

/// <summary>
/// An opened torch zip checkpoint (<c>torch.save</c> or TorchScript <c>torch.jit.save</c>): the object graph of its
/// <c>data.pkl</c> parsed by <see cref="SafeUnpickler"/> (<see cref="Root"/>; tensors appear as lazy
/// <see cref="TorchTensorRef"/>s) and the archive their bytes come from. Tensors can be materialised while this
/// object is open.
/// </summary>
public sealed class TorchCheckpoint : IDisposable
{
    private readonly TorchZipArchive _archive;

    private TorchCheckpoint(TorchZipArchive archive, object? root)
    {
        _archive = archive;
        Root = root;
    }

    public string Path => _archive.File;
    /// <summary>The archive's top folder (e.g. "archive", or the file stem).</summary>
    public string ArchiveFolder => _archive.Prefix.TrimEnd('/');
    /// <summary>True for a TorchScript archive (constants.pkl / code/ present): Root is then a module object.</summary>
    public bool IsTorchScript => _archive.IsTorchScript;
    public object? Root { get; }

    /// <summary>Opens the zip, checks its layout and unpickles data.pkl with the allow-list (nothing is executed).</summary>
    public static TorchCheckpoint Open(string path)
    {
        var archive = TorchZipArchive.Open(path);
        try
        {
            var root = Unpickle($"{path} ({archive.Prefix}data.pkl)", archive.ReadPickle("data.pkl"), archive);
            return new TorchCheckpoint(archive, root);
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }

    /// <summary>Unpickles a torch data.pkl whose persistent ids name storages held by <paramref name="source"/>.</summary>
    internal static object? Unpickle(string where, byte[] pickle, ITorchStorageSource source)
    {
        var storages = new Dictionary<string, TorchStorageRef>(StringComparer.Ordinal);
        return new SafeUnpickler(where, pickle, pid => ResolveStorage(source, where, pid, storages)).Load();
    }

    // torch.save persistent ids: ('storage', storage_type, key, location, numel).
    private static TorchStorageRef ResolveStorage(ITorchStorageSource archive, string where, object? pid, Dictionary<string, TorchStorageRef> cache)
    {
        if (pid is not PickleTuple t || t.Count != 5 || t[0] is not "storage")
            throw new InvalidDataException($"{where}: unsupported persistent id {PickleText.TypeName(pid)}{(pid is PickleTuple pt ? $" of {pt.Count} items" : "")}; expected ('storage', type, key, location, numel).");
        var dtype = PickleAllowList.StorageDType(where, t[1]);
        if (t[2] is not string key || key.Length == 0 || key.Length > 256)
            throw new InvalidDataException($"{where}: a storage key is {PickleText.TypeName(t[2])}, expected a short string.");
        if (t[3] is not string location) throw new InvalidDataException($"{where}: storage '{key}' has no location string.");
        if (t[4] is not long numel) throw new InvalidDataException($"{where}: storage '{key}' has a non-integer element count.");
        if (cache.TryGetValue(key, out var known))
        {
            if (known.DType != dtype || known.Numel != numel)
                throw new InvalidDataException($"{where}: storage '{key}' is declared twice with different types or sizes.");
            return known;
        }
        var s = new TorchStorageRef(archive, key, dtype, numel, location);
        cache.Add(key, s);
        return s;
    }

    /// <summary>Materialises named tensor references; each storage record is read once, even when shared.</summary>
    public Dictionary<string, Tensor> Materialize(IEnumerable<KeyValuePair<string, TorchTensorRef>> refs)
        => MaterializeRefs(refs);

    internal static Dictionary<string, Tensor> MaterializeRefs(IEnumerable<KeyValuePair<string, TorchTensorRef>> refs)
    {
        var list = refs.ToList();
        CheckAmplification(list);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var group in list.GroupBy(kv => (kv.Value.Storage.Source, kv.Value.Storage.Key)))
        {
            // The common case, one contiguous tensor per storage, streams straight into the tensor's array.
            if (group.Count() == 1 && BitConverter.IsLittleEndian && group.First().Value.TryMaterializeDirect(group.First().Key) is { } direct)
            {
                result[group.First().Key] = direct;
                continue;
            }
            var storage = group.First().Value.Storage;
            byte[] bytes = storage.Source.ReadRecord(storage.Key, storage.ByteLength);
            foreach (var (name, r) in group) result[name] = r.Materialize(bytes, name);
        }
        // Keep the checkpoint's key order.
        var ordered = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, _) in list) ordered[name] = result[name];
        return ordered;
    }

    // Views may share storages (tied weights, flat parameter buffers), so the tensors can legitimately add up to a bit
    // more than the stored bytes; a pickle that points thousands of views at one big storage would otherwise turn a small
    // file into an unbounded allocation. Allow 4x the stored bytes plus 256 MiB of slack.
    private static void CheckAmplification(List<KeyValuePair<string, TorchTensorRef>> refs)
    {
        if (refs.Count == 0) return;
        long stored = refs.Select(r => r.Value.Storage).Distinct().Sum(s => s.ByteLength);
        double wanted = 0; // double: stride-0 views can describe more elements than a long counts in bytes
        foreach (var (_, r) in refs) wanted += (double)r.Numel * r.DType.ByteSize();
        double allowed = 4.0 * stored + (256L << 20);
        if (wanted > allowed)
            throw new InvalidDataException($"{refs[0].Value.Storage.Source.File}: {refs.Count} tensors would materialise {wanted:0} bytes from {stored} bytes of storage; " +
                                           "refusing a checkpoint whose views multiply its data this much.");
    }

    public void Dispose() => _archive.Dispose();
}
