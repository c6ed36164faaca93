using System.Text;
using Xunit;

namespace Engine.Weights.Tests;

/// <summary>Every kind of corrupt safetensors file gets an InvalidDataException naming the file (and the tensor
/// where one is at fault), never a crash or a silently wrong tensor.</summary>
public class SafetensorsCorruptionTests
{
    private static byte[] Build(string header, byte[] data, long? declaredLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var ms = new MemoryStream();
        ms.Write(BitConverter.GetBytes(declaredLength ?? h.Length));
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }

    private static InvalidDataException Fails(byte[] file, params string[] expected)
    {
        using var tmp = new TempDir();
        var path = tmp.File("bad.safetensors");
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.ReadAll(path));
        Assert.Contains(path, e.Message);
        foreach (var s in expected) Assert.Contains(s, e.Message);
        // Open() validates up front too: nothing is handed out from a bad file.
        Assert.Throws<InvalidDataException>(() => { using var r = SafetensorsFile.Open(path); });
        return e;
    }

    private const string Two = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}";
    private static readonly byte[] SixteenBytes = new byte[16];

    [Fact]
    public void ValidBaselineLoads()
    {
        using var tmp = new TempDir();
        var path = tmp.File("ok.safetensors");
        File.WriteAllBytes(path, Build(Two, SixteenBytes));
        Assert.Equal(2, SafetensorsFile.ReadAll(path).Count);
    }

    [Fact] public void EmptyFile() => Fails(Array.Empty<byte>(), "shorter than the 8-byte header length prefix");
    [Fact] public void HeaderLengthPastEnd() => Fails(Build(Two, SixteenBytes, declaredLength: 5000), "header length 5000 reaches past the end");
    /// <summary>A download cut off inside the header is still recognised as safetensors by the format detection (and
    /// reported as truncated), not as an unknown file format.</summary>
    [Fact]
    public void HeaderCutOffIsReportedAsTruncatedByTheCheckpointReader()
    {
        using var tmp = new TempDir();
        var path = tmp.File("model.safetensors");
        File.WriteAllBytes(path, Build(Two, SixteenBytes)[..40]);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointReader.LoadFile(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact] public void HugeHeaderLength() => Fails(Build(Two, SixteenBytes, declaredLength: long.MaxValue), "exceeds the");
    [Fact] public void NonJsonHeader() => Fails(Build("{this is not json}", SixteenBytes), "not valid safetensors JSON");
    [Fact] public void HeaderIsNotAnObject() => Fails(Build("[1, 2, 3]", Array.Empty<byte>()), "not a JSON object");
    [Fact] public void TruncatedData() => Fails(Build(Two, new byte[12]), "tensor 'b'", "past the end of the data section");
    [Fact] public void TrailingBytes() => Fails(Build(Two, new byte[24]), "cover 16 bytes but the data section holds 24");

    [Fact]
    public void OverlappingOffsets() => Fails(Build(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
        "tensor 'b'", "overlaps");

    [Fact]
    public void GapBetweenTensors() => Fails(Build(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]),
        "tensor 'b'", "gap");

    [Fact]
    public void OffsetsOutOfRange() => Fails(Build(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", new byte[8]),
        "tensor 'b'", "[8, 16)", "past the end");

    [Fact]
    public void EndBeforeBegin() => Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", new byte[8]), "tensor 'a'", "end before they begin");

    [Fact]
    public void NegativeOffset() => Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[4]), "tensor 'a'", "non-negative");

    [Fact] public void UnknownDType() => Fails(Build("{\"a\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'a'", "unknown dtype 'F7'");

    [Fact]
    public void DTypeWithoutEngineRepresentation()
    {
        // A valid file (the raw bytes stay reachable through Open/GetBytes), but not loadable as an engine tensor.
        using var tmp = new TempDir();
        var path = tmp.File("u64.safetensors");
        File.WriteAllBytes(path, Build("{\"a\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]));
        using (var r = SafetensorsFile.Open(path)) Assert.Equal(8, r.GetBytes("a").Length);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.ReadAll(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("tensor 'a': dtype U64 has no lossless engine representation", e.Message);
    }

    [Fact]
    public void ShapeByteCountMismatch() => Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]),
        "tensor 'a'", "F32 [3] needs 12 bytes but data_offsets [0, 8] hold 8");

    [Fact]
    public void ShapeOverflow() => Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", new byte[8]),
        "tensor 'a'", "too many elements");

    [Fact]
    public void NegativeOrFractionalShape()
    {
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'a'", "'shape'");
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'a'", "'shape'");
    }

    [Fact]
    public void DuplicateKeys() => Fails(Build(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
        "duplicate tensor 'a'");

    [Fact]
    public void DuplicateFieldAndMissingField()
    {
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'a'", "duplicate field 'dtype'");
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'a'", "missing 'shape'");
    }

    [Fact]
    public void BadMetadata()
    {
        Fails(Build("{\"__metadata__\":{\"k\":1}}", Array.Empty<byte>()), "metadata value 'k' is not a string");
        Fails(Build("{\"__metadata__\":{},\"__metadata__\":{}}", Array.Empty<byte>()), "duplicate key '__metadata__'");
    }

    [Fact]
    public void InvalidUtf8InHeader()
    {
        var h = Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        h[2] = 0xC3; // broken UTF-8 inside the key
        var ms = new MemoryStream();
        ms.Write(BitConverter.GetBytes((long)h.Length));
        ms.Write(h);
        ms.Write(new byte[4]);
        Fails(ms.ToArray(), "header");
    }

    [Fact]
    public void ReaderGivesZeroCopySpansAndEntries()
    {
        using var tmp = new TempDir();
        var path = tmp.File("ok.safetensors");
        var data = new byte[16];
        BitConverter.GetBytes(1.5f).CopyTo(data, 0);
        BitConverter.GetBytes(-2f).CopyTo(data, 4);
        BitConverter.GetBytes(77L).CopyTo(data, 8);
        File.WriteAllBytes(path, Build(Two, data));
        using var r = SafetensorsFile.Open(path);
        Assert.Equal(new[] { "a", "b" }, r.Names.ToArray());
        var a = r.GetEntry("a");
        Assert.Equal(SafetensorsDType.F32, a.DType);
        Assert.Equal(new[] { 2 }, a.Shape);
        Assert.Equal(8, a.ByteLength);
        Assert.Equal(data.AsSpan(0, 8).ToArray(), r.GetBytes("a").ToArray());
        Assert.Equal(new[] { 1.5f, -2f }, r.Load("a").ToArray());
        Assert.Equal(new[] { 77L }, r.Load("b").ToInt64Array());
        Assert.Throws<KeyNotFoundException>(() => r.GetEntry("zz"));
        r.Dispose();
        Assert.Throws<ObjectDisposedException>(() => r.Load("a"));
    }

    [Fact]
    public void HalfBFloatAndDoubleConvertToFloat()
    {
        var data = new List<byte>();
        data.AddRange(BitConverter.GetBytes((Half)0.5f));
        data.AddRange(BitConverter.GetBytes((ushort)0xBF80)); // bf16 -1
        data.AddRange(BitConverter.GetBytes(1e-3));
        data.AddRange(new byte[] { 0, 2 }); // bool, non-canonical true
        string header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[2,4]}," +
                        "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[4,12]},\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[12,14]}}";
        using var tmp = new TempDir();
        var path = tmp.File("mixed.safetensors");
        File.WriteAllBytes(path, Build(header, data.ToArray()));
        var t = SafetensorsFile.ReadAll(path);
        Assert.Equal(new[] { 0.5f }, t["h"].ToArray());
        Assert.Equal(new[] { -1f }, t["b"].ToArray());
        Assert.Equal(new[] { 1e-3f }, t["d"].ToArray());
        Assert.Equal(DType.Bool, t["m"].DType);
        Assert.Equal(new long[] { 0, 1 }, t["m"].ToInt64Array());
    }
}
