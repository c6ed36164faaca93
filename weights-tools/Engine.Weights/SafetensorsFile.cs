using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Engine.Weights;

/// <summary>
/// safetensors reading and writing. Layout: an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}</c>, offsets relative to
/// the data section), then the raw little-endian data. Reading converts F16/BF16/F64 to F32 and keeps
/// I64/I32/U8/BOOL; corrupt files raise <see cref="InvalidDataException"/> naming the file and the tensor.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>Maps the file and validates its header; the caller disposes the reader.</summary>
    public static SafetensorsReader Open(string path) => new(path);

    /// <summary>Reads every tensor (Name = key). F16/BF16/F64 become F32; integer and bool dtypes are kept.</summary>
    public static Dictionary<string, Tensor> ReadAll(string path)
    {
        using var reader = Open(path);
        return reader.LoadAll();
    }

    /// <summary>The <c>__metadata__</c> string map (empty when the file has none).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var reader = Open(path);
        return new Dictionary<string, string>(reader.Metadata, StringComparer.Ordinal);
    }

    /// <summary>
    /// Writes tensors in key order (ordinal), data packed back to back, header JSON padded with spaces to a multiple
    /// of 8 bytes so the data section is 8-byte aligned (as the reference writer does). The file is written to a
    /// temporary name beside the target and renamed over it, so readers never see a half-written file.
    /// Non-contiguous and non-CPU tensors are copied to contiguous CPU memory first.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors is little-endian; big-endian hosts are not supported.");
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        foreach (var n in names)
        {
            if (n == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor.", nameof(tensors));
            if (tensors[n] is null) throw new ArgumentException($"Tensor '{n}' is null.", nameof(tensors));
        }

        var prepared = new List<(string Name, Tensor T, SafetensorsDType DType, long Begin, long End)>(names.Count);
        long offset = 0;
        foreach (var n in names)
        {
            var t = tensors[n].To(Device.Cpu).Contiguous();
            var dt = SafetensorsDTypes.FromEngine(t.DType);
            long bytes = t.Numel * dt.ByteSize();
            prepared.Add((n, t, dt, offset, offset + bytes));
            offset += bytes;
        }

        byte[] header = BuildHeader(prepared.Select(p => (p.Name, p.DType, p.T.Shape, p.Begin, p.End)), metadata);
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string tmp = System.IO.Path.Combine(dir, "." + System.IO.Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> len = stackalloc byte[8];
                BitConverter.TryWriteBytes(len, (ulong)header.Length);
                fs.Write(len);
                fs.Write(header);
                foreach (var p in prepared) WriteData(fs, p.T);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Header JSON, space-padded to a multiple of 8 bytes.</summary>
    internal static byte[] BuildHeader(IEnumerable<(string Name, SafetensorsDType DType, int[] Shape, long Begin, long End)> records,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WritePropertyName("__metadata__");
                w.WriteStartObject();
                foreach (var kv in metadata.OrderBy(k => k.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            foreach (var r in records)
            {
                w.WritePropertyName(r.Name);
                w.WriteStartObject();
                w.WriteString("dtype", r.DType.Name());
                w.WritePropertyName("shape");
                w.WriteStartArray();
                foreach (var d in r.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WritePropertyName("data_offsets");
                w.WriteStartArray();
                w.WriteNumberValue(r.Begin);
                w.WriteNumberValue(r.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int len = (int)ms.Length;
        int padded = (len + 7) / 8 * 8;
        var bytes = new byte[padded];
        ms.GetBuffer().AsSpan(0, len).CopyTo(bytes);
        bytes.AsSpan(len).Fill((byte)' ');
        return bytes;
    }

    private static void WriteData(Stream s, Tensor t)
    {
        var cs = (CpuStorage)t.Storage;
        int off = checked((int)t.Offset), n = checked((int)t.Numel);
        if (n == 0) return;
        switch (t.DType)
        {
            case DType.F32: s.Write(MemoryMarshal.AsBytes(cs.Floats.Slice(off, n))); break;
            case DType.I64: s.Write(MemoryMarshal.AsBytes(cs.Longs.Slice(off, n))); break;
            case DType.I32: s.Write(MemoryMarshal.AsBytes(cs.Ints.Slice(off, n))); break;
            case DType.U8: s.Write(cs.Bytes.Slice(off, n)); break;
            case DType.Bool:
            {
                // Canonical 0/1 bytes, whatever non-zero value the storage holds.
                var src = cs.Bytes.Slice(off, n);
                var buf = new byte[n];
                for (int i = 0; i < n; i++) buf[i] = src[i] != 0 ? (byte)1 : (byte)0;
                s.Write(buf);
                break;
            }
            default: throw new NotSupportedException($"Cannot write tensor '{t.Name}' of dtype {t.DType}.");
        }
    }

    /// <summary>True when the file starts like a safetensors file (plausible header length followed by '{').</summary>
    public static bool LooksLikeSafetensors(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (fs.Length < 10) return false;
        Span<byte> b = stackalloc byte[9];
        fs.ReadExactly(b);
        ulong n = BitConverter.ToUInt64(b[..8]);
        // A header longer than the file still counts: the reader then reports the truncation precisely.
        return n >= 2 && n <= SafetensorsHeader.MaxHeaderBytes && b[8] == (byte)'{';
    }
}
