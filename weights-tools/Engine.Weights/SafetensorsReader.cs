using System.IO.MemoryMappedFiles;

namespace Engine.Weights;

/// <summary>
/// A safetensors file mapped into memory. The header is parsed and fully validated on open (so every later
/// access is in bounds); <see cref="GetBytes"/> returns zero-copy views of a tensor's raw bytes, valid until
/// <see cref="Dispose"/>; <see cref="Load"/> copies one tensor into an engine <see cref="Tensor"/>.
/// Not for files that other processes truncate while mapped (the OS would fault on the missing pages).
/// </summary>
public sealed unsafe class SafetensorsReader : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;          // start of the mapping
    private readonly long _dataStart;   // offset of the data section in the file
    private readonly SafetensorsHeader _header;

    public string Path { get; }
    public long FileLength { get; }
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;
    /// <summary>Tensor records in file (data-offset) order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries => _header.EntriesByOffset;
    public IEnumerable<string> Names => _header.EntriesByOffset.Select(e => e.Name);
    public int Count => _header.Entries.Count;

    internal SafetensorsReader(string path)
    {
        Path = path;
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            FileLength = fs.Length;
        // Validate the prefix before mapping: an empty file cannot be mapped and would give a confusing error.
        Span<byte> prefix = stackalloc byte[8];
        if (FileLength >= 8)
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
                fs.ReadExactly(prefix);
        long headerLen = SafetensorsHeader.CheckPrefix(path, prefix, FileLength);
        _dataStart = 8 + headerLen;
        var fsMap = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            _map = MemoryMappedFile.CreateFromFile(fsMap, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + _view.PointerOffset;
            if ((long)_view.SafeMemoryMappedViewHandle.ByteLength - _view.PointerOffset < FileLength)
                throw new InvalidDataException($"{path}: the file changed size while being opened.");
            _header = SafetensorsHeader.Parse(path, new ReadOnlySpan<byte>(_base + 8, (int)headerLen), FileLength - _dataStart);
        }
        catch
        {
            Dispose();
            fsMap.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _header.Entries.ContainsKey(name);

    public SafetensorsEntry GetEntry(string name)
        => _header.Entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'.");

    /// <summary>Zero-copy view of the raw little-endian bytes of one tensor (valid until Dispose).</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var e = GetEntry(name);
        if (e.ByteLength > int.MaxValue) throw new NotSupportedException($"{Path}: tensor '{name}' has {e.ByteLength} bytes, more than one span can view; use Load().");
        return new ReadOnlySpan<byte>(Pointer(e), (int)e.ByteLength);
    }

    /// <summary>Copies one tensor into an engine tensor (F16/BF16/F64 converted to F32; Name = key).</summary>
    public Tensor Load(string name)
    {
        var e = GetEntry(name);
        return RawTensorDecoder.Decode(Pointer(e), e.ByteLength, e.DType, (int[])e.Shape.Clone(), Path, name);
    }

    /// <summary>Loads every tensor, keyed by name, in file order.</summary>
    public Dictionary<string, Tensor> LoadAll()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var e in _header.EntriesByOffset) result.Add(e.Name, Load(e.Name));
        return result;
    }

    private byte* Pointer(SafetensorsEntry e)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + _dataStart + e.DataOffset;
    }

    public void Dispose()
    {
        if (_base != null)
        {
            _base = null;
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
