using System.Buffers.Binary;
using System.Text;

namespace Engine.Perf.OnnxPeer;

/// <summary>
/// The few pieces of the protobuf wire format an ONNX file needs: varints (wire type 0), fixed 32-bit floats
/// (wire type 5) and length-delimited bytes, strings and nested messages (wire type 2). A nested message is built in
/// its own writer and then written as a length-delimited field, so no sizes have to be computed up front.
/// Repeated scalars are written unpacked (one tag per element), the proto2 default onnx.proto uses; parsers accept
/// both forms.
/// </summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0, WireLengthDelimited = 2, WireFixed32 = 5;
    private readonly MemoryStream _bytes = new();

    public long Length => _bytes.Length;

    /// <summary>int32/int64/enum/bool field. Negative values take 10 bytes (two's complement as uint64), as protobuf
    /// encodes int64.</summary>
    public void Varint(int field, long value)
    {
        Tag(field, WireVarint);
        RawVarint(unchecked((ulong)value));
    }

    public void Float(int field, float value)
    {
        Tag(field, WireFixed32);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        _bytes.Write(b);
    }

    public void Bytes(int field, ReadOnlySpan<byte> data)
    {
        Tag(field, WireLengthDelimited);
        RawVarint((ulong)data.Length);
        _bytes.Write(data);
    }

    public void String(int field, string text) => Bytes(field, Encoding.UTF8.GetBytes(text));

    public void Message(int field, ProtoWriter nested) => Bytes(field, nested.AsSpan());

    public void Message(int field, Action<ProtoWriter> build)
    {
        var nested = new ProtoWriter();
        build(nested);
        Message(field, nested);
    }

    public ReadOnlySpan<byte> AsSpan() => _bytes.GetBuffer().AsSpan(0, checked((int)_bytes.Length));

    public byte[] ToArray() => _bytes.ToArray();

    private void Tag(int field, int wireType)
    {
        if (field < 1) throw new ArgumentOutOfRangeException(nameof(field), field, "protobuf field numbers start at 1");
        RawVarint(((ulong)field << 3) | (uint)wireType);
    }

    private void RawVarint(ulong value)
    {
        Span<byte> b = stackalloc byte[10];
        int n = 0;
        while (value >= 0x80)
        {
            b[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        b[n++] = (byte)value;
        _bytes.Write(b[..n]);
    }
}
