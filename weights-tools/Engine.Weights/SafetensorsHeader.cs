using System.Text;
using System.Text.Json;

namespace Engine.Weights;

/// <summary>The parsed and validated JSON header of a safetensors file. Validation follows the reference
/// implementation: every record names a known dtype, a non-negative shape and offsets whose length equals
/// numel x dtype size; sorted by offset the records tile the data section exactly (no gap, no overlap, nothing
/// past its end). Any violation is an <see cref="InvalidDataException"/> naming the file and the tensor.</summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Same limit as the reference implementation: a larger header is treated as corrupt, never allocated.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public required Dictionary<string, SafetensorsEntry> Entries { get; init; }
    /// <summary>Records ordered by data offset (the file order).</summary>
    public required List<SafetensorsEntry> EntriesByOffset { get; init; }
    public required Dictionary<string, string> Metadata { get; init; }

    /// <summary>Validates the 8-byte length prefix against the file length; returns the header length.</summary>
    public static long CheckPrefix(string file, ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (fileLength < 8)
            throw new InvalidDataException($"{file}: not a safetensors file: {fileLength} bytes, shorter than the 8-byte header length prefix (truncated?).");
        ulong n = BitConverter.ToUInt64(prefix[..8]);
        if (n > MaxHeaderBytes)
            throw new InvalidDataException($"{file}: header length {n} exceeds the {MaxHeaderBytes}-byte limit (corrupt or not a safetensors file).");
        if ((long)n > fileLength - 8)
            throw new InvalidDataException($"{file}: header length {n} reaches past the end of the file ({fileLength} bytes; truncated?).");
        if (n < 2)
            throw new InvalidDataException($"{file}: header length {n} is too small to hold a JSON object.");
        return (long)n;
    }

    public static SafetensorsHeader Parse(string file, ReadOnlySpan<byte> json, long dataLength)
    {
        Dictionary<string, SafetensorsEntry> entries;
        Dictionary<string, string> metadata;
        try
        {
            (entries, metadata) = ParseJson(file, json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or DecoderFallbackException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{file}: the header is not valid safetensors JSON: {e.Message}", e);
        }
        var ordered = entries.Values.OrderBy(e => e.DataOffset).ThenBy(e => e.ByteLength).ToList();
        long expect = 0;
        foreach (var e in ordered)
        {
            if (e.DataOffset != expect)
            {
                string what = e.DataOffset < expect ? "overlaps the previous tensor" : "leaves a gap after the previous tensor";
                throw new InvalidDataException($"{file}: tensor '{e.Name}' data_offsets start at {e.DataOffset}, which {what} (expected {expect}).");
            }
            expect = e.DataOffset + e.ByteLength;
            if (expect > dataLength)
                throw new InvalidDataException($"{file}: tensor '{e.Name}' data_offsets [{e.DataOffset}, {expect}) reach past the end of the data section ({dataLength} bytes; truncated?).");
        }
        if (expect != dataLength)
            throw new InvalidDataException($"{file}: the tensors cover {expect} bytes but the data section holds {dataLength} (trailing bytes or a wrong header).");
        return new SafetensorsHeader { Entries = entries, EntriesByOffset = ordered, Metadata = metadata };
    }

    private static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseJson(string file, ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        Expect(ref reader, JsonTokenType.StartObject, file, "the header");
        while (true)
        {
            Read(ref reader, file);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string name = reader.GetString()!;
            if (name == "__metadata__")
            {
                if (sawMetadata) throw new InvalidDataException($"{file}: duplicate key '__metadata__' in the header.");
                sawMetadata = true;
                ReadMetadata(ref reader, file, metadata);
                continue;
            }
            if (entries.ContainsKey(name)) throw new InvalidDataException($"{file}: duplicate tensor '{name}' in the header.");
            entries.Add(name, ReadEntry(ref reader, file, name));
        }
        // Trailing content after the object: only the space padding the writer adds is allowed.
        if (reader.Read()) throw new InvalidDataException($"{file}: unexpected content after the header object.");
        return (entries, metadata);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string file, Dictionary<string, string> metadata)
    {
        Read(ref reader, file);
        if (reader.TokenType == JsonTokenType.Null) return;
        if (reader.TokenType != JsonTokenType.StartObject) throw new InvalidDataException($"{file}: '__metadata__' must be an object of strings.");
        while (true)
        {
            Read(ref reader, file);
            if (reader.TokenType == JsonTokenType.EndObject) return;
            string key = reader.GetString()!;
            Read(ref reader, file);
            if (reader.TokenType != JsonTokenType.String) throw new InvalidDataException($"{file}: metadata value '{key}' is not a string.");
            if (!metadata.TryAdd(key, reader.GetString()!)) throw new InvalidDataException($"{file}: duplicate metadata key '{key}'.");
        }
    }

    private static SafetensorsEntry ReadEntry(ref Utf8JsonReader reader, string file, string name)
    {
        Read(ref reader, file);
        if (reader.TokenType != JsonTokenType.StartObject) throw new InvalidDataException($"{file}: tensor '{name}': header record is not an object.");
        SafetensorsDType? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Read(ref reader, file);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype":
                    if (dtype != null) throw Bad(file, name, "duplicate field 'dtype'");
                    Read(ref reader, file);
                    if (reader.TokenType != JsonTokenType.String) throw Bad(file, name, "'dtype' is not a string");
                    string d = reader.GetString()!;
                    dtype = SafetensorsDTypes.Parse(d) ?? throw Bad(file, name, $"unknown dtype '{d}'");
                    break;
                case "shape":
                    if (shape != null) throw Bad(file, name, "duplicate field 'shape'");
                    shape = ReadIntArray(ref reader, file, name, "shape", int.MaxValue).Select(v => (int)v).ToArray();
                    break;
                case "data_offsets":
                    if (offsets != null) throw Bad(file, name, "duplicate field 'data_offsets'");
                    offsets = ReadIntArray(ref reader, file, name, "data_offsets", long.MaxValue);
                    if (offsets.Length != 2) throw Bad(file, name, $"'data_offsets' has {offsets.Length} values, expected [begin, end]");
                    break;
                default:
                    reader.Skip(); // unknown fields are tolerated (forward compatibility), as by the reference reader
                    break;
            }
        }
        return Finish(file, name, dtype, shape, offsets);
    }

    private static SafetensorsEntry Finish(string file, string name, SafetensorsDType? dtype, int[]? shape, long[]? offsets)
    {
        if (dtype == null) throw Bad(file, name, "missing 'dtype'");
        if (shape == null) throw Bad(file, name, "missing 'shape'");
        if (offsets == null) throw Bad(file, name, "missing 'data_offsets'");
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw Bad(file, name, $"data_offsets [{begin}, {end}] end before they begin");
        long numel = 1;
        foreach (var s in shape)
        {
            try { numel = checked(numel * s); }
            catch (OverflowException) { throw Bad(file, name, $"shape {Engine.Shape.Format(shape)} has too many elements"); }
        }
        long bytes;
        try { bytes = checked(numel * dtype.Value.ByteSize()); }
        catch (OverflowException) { throw Bad(file, name, $"shape {Engine.Shape.Format(shape)} has too many elements"); }
        if (end - begin != bytes)
            throw Bad(file, name, $"{dtype.Value.Name()} {Engine.Shape.Format(shape)} needs {bytes} bytes but data_offsets [{begin}, {end}] hold {end - begin}");
        return new SafetensorsEntry(name, dtype.Value, shape, begin, bytes);
    }

    private static long[] ReadIntArray(ref Utf8JsonReader reader, string file, string name, string field, long max)
    {
        Read(ref reader, file);
        if (reader.TokenType != JsonTokenType.StartArray) throw Bad(file, name, $"'{field}' is not an array");
        var values = new List<long>();
        while (true)
        {
            Read(ref reader, file);
            if (reader.TokenType == JsonTokenType.EndArray) return values.ToArray();
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long v) || v < 0 || v > max)
                throw Bad(file, name, $"'{field}' holds a value that is not a non-negative integer <= {max}");
            if (values.Count >= 64) throw Bad(file, name, $"'{field}' has more than 64 values");
            values.Add(v);
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string file, string what)
    {
        Read(ref reader, file);
        if (reader.TokenType != type) throw new InvalidDataException($"{file}: {what} is not a JSON object.");
    }

    private static void Read(ref Utf8JsonReader reader, string file)
    {
        if (!reader.Read()) throw new InvalidDataException($"{file}: the header JSON ends early.");
    }

    private static InvalidDataException Bad(string file, string name, string why) => new($"{file}: tensor '{name}': {why}.");
}
