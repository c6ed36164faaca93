using System.IO.Compression;

namespace Engine.Weights.Torch;

/// <summary>
/// The zip container <c>torch.save</c> (>= 1.6) and <c>torch.jit.save</c> write: records under one top folder whose
/// name varies (<c>archive/</c>, the file stem, ...): <c>data.pkl</c> (the pickled object), <c>data/&lt;key&gt;</c>
/// (raw little-endian storages, normally stored uncompressed), <c>version</c>, optionally <c>byteorder</c>, and for
/// TorchScript also <c>constants.pkl</c> and <c>code/</c>. Every failure of the zip layer becomes an
/// <see cref="InvalidDataException"/> naming the file.
/// </summary>
internal sealed class TorchZipArchive : ITorchStorageSource, IDisposable
{
    private const long MaxPickleBytes = 1L << 30;
    private readonly FileStream _stream;
    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);

    public string File { get; }
    /// <summary>The top folder including its trailing slash, e.g. "archive/".</summary>
    public string Prefix { get; }
    public bool IsTorchScript { get; }

    private TorchZipArchive(string path, FileStream stream, ZipArchive zip)
    {
        File = path;
        _stream = stream;
        _zip = zip;
        foreach (var e in zip.Entries)
            if (!_entries.TryAdd(e.FullName, e)) throw new InvalidDataException($"{path}: the zip holds two records named '{e.FullName}'.");
        var pickles = _entries.Keys.Where(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.IndexOf('/') == n.Length - "/data.pkl".Length).ToList();
        if (pickles.Count == 0)
            throw new InvalidDataException($"{path}: a zip file but not a PyTorch checkpoint (no '<folder>/data.pkl' record).");
        if (pickles.Count > 1)
            throw new InvalidDataException($"{path}: several top-level pickles ({string.Join(", ", pickles)}); cannot tell which one is the checkpoint.");
        Prefix = pickles[0][..^"data.pkl".Length];
        IsTorchScript = _entries.ContainsKey(Prefix + "constants.pkl") || _entries.Keys.Any(n => n.StartsWith(Prefix + "code/", StringComparison.Ordinal));
        if (_entries.TryGetValue(Prefix + "byteorder", out var bo))
        {
            string order = System.Text.Encoding.ASCII.GetString(ReadEntry(bo, Math.Min(bo.Length, 16))).Trim();
            if (order != "little") throw new InvalidDataException($"{path}: storages are stored '{order}'-endian; only little-endian checkpoints are supported.");
        }
    }

    public static TorchZipArchive Open(string path)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            var zip = Guard(path, () => new ZipArchive(fs, ZipArchiveMode.Read, leaveOpen: true));
            try { return Guard(path, () => new TorchZipArchive(path, fs, zip)); }
            catch { zip.Dispose(); throw; }
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    public bool HasRecord(string name) => _entries.ContainsKey(Prefix + name);

    /// <summary>Reads a top-level pickle record (data.pkl, constants.pkl).</summary>
    public byte[] ReadPickle(string name)
    {
        if (!_entries.TryGetValue(Prefix + name, out var e)) throw new InvalidDataException($"{File}: no record '{Prefix + name}'.");
        long len = Guard(File, () => e.Length);
        if (len > MaxPickleBytes) throw new InvalidDataException($"{File}: record '{e.FullName}' claims {len} bytes, more than a checkpoint pickle can be.");
        return ReadEntry(e, len);
    }

    public long RecordLength(string key)
    {
        var e = StorageEntry(key);
        long len = Guard(File, () => e.Length);
        long packed = Guard(File, () => e.CompressedLength);
        // A compressed record may claim any length; bound it by deflate's maximum ratio so a zip bomb is refused
        // before anything is allocated. Stored records (the torch default) are bounded by the file itself.
        if (len < 0 || packed > _stream.Length || (len != packed && len > packed * 1100L))
            throw new InvalidDataException($"{File}: record '{e.FullName}' has an implausible length {len} ({packed} bytes compressed).");
        return len;
    }

    public byte[] ReadRecord(string key, long byteLength)
    {
        var e = StorageEntry(key);
        if (byteLength > RecordLength(key))
            throw new InvalidDataException($"{File}: record '{e.FullName}' is shorter than the {byteLength} bytes its storage needs.");
        if (byteLength > Array.MaxLength)
            throw new InvalidDataException($"{File}: storage '{key}' has {byteLength} bytes, more than one host array can hold.");
        return ReadEntry(e, byteLength);
    }

    public void ReadRecordInto(string key, long byteOffset, Span<byte> destination)
    {
        var e = StorageEntry(key);
        if (byteOffset < 0 || byteOffset + destination.Length > RecordLength(key))
            throw new InvalidDataException($"{File}: bytes [{byteOffset}, {byteOffset + destination.Length}) lie outside record '{e.FullName}'.");
        try
        {
            using var s = e.Open();
            if (s.CanSeek) s.Seek(byteOffset, SeekOrigin.Begin);
            else
            {
                var skip = new byte[Math.Min(byteOffset, 1 << 16)];
                for (long left = byteOffset; left > 0;)
                {
                    int n = s.Read(skip, 0, (int)Math.Min(left, skip.Length));
                    if (n == 0) throw new InvalidDataException($"{File}: record '{e.FullName}' ends early (truncated).");
                    left -= n;
                }
            }
            int got = 0;
            while (got < destination.Length)
            {
                int n = s.Read(destination[got..]);
                if (n == 0) throw new InvalidDataException($"{File}: record '{e.FullName}' ends after {byteOffset + got} bytes (truncated).");
                got += n;
            }
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{File}: corrupt zip container: {ex.Message}", ex);
        }
    }

    private ZipArchiveEntry StorageEntry(string key)
    {
        string name = Prefix + "data/" + key;
        return _entries.TryGetValue(name, out var e) ? e : throw new InvalidDataException($"{File}: storage '{key}' is referenced by the pickle but the zip has no record '{name}'.");
    }

    private byte[] ReadEntry(ZipArchiveEntry e, long byteLength)
    {
        return Guard(File, () =>
        {
            var buf = new byte[byteLength];
            using var s = e.Open();
            int got = 0;
            while (got < buf.Length)
            {
                int n = s.Read(buf, got, buf.Length - got);
                if (n == 0) throw new InvalidDataException($"{File}: record '{e.FullName}' ends after {got} of {byteLength} bytes (truncated).");
                got += n;
            }
            return buf;
        });
    }

    /// <summary>Runs a zip-layer call, turning the many exception types a corrupt archive can provoke into
    /// InvalidDataException naming the file.</summary>
    private static T Guard<T>(string file, Func<T> f)
    {
        try { return f(); }
        catch (InvalidDataException) { throw; }
        catch (Exception e) when (e is IOException or NotSupportedException or ArgumentException or InvalidOperationException or OverflowException or FormatException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{file}: corrupt zip container: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        _zip.Dispose();
        _stream.Dispose();
    }
}
