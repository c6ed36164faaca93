using System.IO.Compression;
using System.Text;

namespace Engine.Weights.Tests;

/// <summary>Writes pickle opcodes byte by byte, the way torch.save (protocol 2) lays them out, so tests can craft
/// valid and hostile checkpoints without Python.</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _b = new();
    private int _memo;

    public byte[] ToArray() => _b.ToArray();
    public PickleBuilder Raw(params byte[] bytes) { _b.AddRange(bytes); return this; }
    public PickleBuilder Op(char op) { _b.Add((byte)op); return this; }
    public PickleBuilder Proto(int v = 2) => Raw(0x80, (byte)v);
    public PickleBuilder Mark() => Op('(');
    public PickleBuilder Stop() => Op('.');
    public PickleBuilder Tuple() => Op('t');
    public PickleBuilder EmptyTuple() => Op(')');
    public PickleBuilder EmptyDict() => Op('}');
    public PickleBuilder EmptyList() => Op(']');
    public PickleBuilder SetItems() => Op('u');
    public PickleBuilder SetItem() => Op('s');
    public PickleBuilder Appends() => Op('e');
    public PickleBuilder Reduce() => Op('R');
    public PickleBuilder Build() => Op('b');
    public PickleBuilder NewObj() => Raw(0x81);
    public PickleBuilder BinPersId() => Op('Q');
    public PickleBuilder None() => Op('N');
    public PickleBuilder Bool(bool v) => Raw(v ? (byte)0x88 : (byte)0x89);
    public PickleBuilder Put() { _b.Add((byte)'q'); _b.Add((byte)(_memo++ & 0xFF)); return this; }
    public PickleBuilder Get(int i) => Raw((byte)'h', (byte)i);

    public PickleBuilder Global(string module, string name)
    {
        _b.Add((byte)'c');
        _b.AddRange(Encoding.UTF8.GetBytes(module + "\n" + name + "\n"));
        return this;
    }

    public PickleBuilder StackGlobal(string module, string name) => Str(module).Str(name).Raw(0x93);

    public PickleBuilder Str(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        _b.Add((byte)'X');
        _b.AddRange(BitConverter.GetBytes(bytes.Length));
        _b.AddRange(bytes);
        return this;
    }

    public PickleBuilder Int(long v)
    {
        if (v >= 0 && v < 256) return Raw((byte)'K', (byte)v);
        if (v >= 0 && v < 65536) { _b.Add((byte)'M'); _b.AddRange(BitConverter.GetBytes((ushort)v)); return this; }
        if (v >= int.MinValue && v <= int.MaxValue) { _b.Add((byte)'J'); _b.AddRange(BitConverter.GetBytes((int)v)); return this; }
        _b.Add(0x8a); _b.Add(8); _b.AddRange(BitConverter.GetBytes(v));
        return this;
    }

    public PickleBuilder Float(double v)
    {
        _b.Add((byte)'G');
        var bytes = BitConverter.GetBytes(v);
        Array.Reverse(bytes);
        _b.AddRange(bytes);
        return this;
    }

    public PickleBuilder IntTuple(params long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>torch.save's tensor: _rebuild_tensor_v2((persistent storage id), offset, size, stride, requires_grad, OrderedDict()).</summary>
    public PickleBuilder Tensor(string storageType, string key, long storageNumel, long offset, int[] size, long[] stride, bool requiresGrad = false)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(storageNumel).Tuple().BinPersId();
        Int(offset);
        IntTuple(size.Select(s => (long)s).ToArray());
        IntTuple(stride);
        Bool(requiresGrad);
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        Tuple();
        return Reduce();
    }

    public static long[] ContiguousStrides(int[] shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }
}

/// <summary>Writes the torch zip container: &lt;folder&gt;/data.pkl, &lt;folder&gt;/data/&lt;key&gt; (stored, uncompressed), version.</summary>
internal static class TorchZipBuilder
{
    public static void Write(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]> storages, string folder = "archive",
        IReadOnlyDictionary<string, byte[]>? extraRecords = null)
    {
        using var fs = new FileStream(path, FileMode.Create);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        void Add(string name, byte[] data)
        {
            var e = zip.CreateEntry(folder + "/" + name, CompressionLevel.NoCompression);
            using var s = e.Open();
            s.Write(data);
        }
        Add("data.pkl", pickle);
        foreach (var (k, v) in storages) Add("data/" + k, v);
        Add("version", Encoding.ASCII.GetBytes("3\n"));
        if (extraRecords != null) foreach (var (k, v) in extraRecords) Add(k, v);
    }

    public static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    public static byte[] Longs(params long[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
}
