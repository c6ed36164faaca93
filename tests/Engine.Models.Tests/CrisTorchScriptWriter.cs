using System.IO.Compression;
using System.Text;

namespace Engine.Models.Tests;

/// <summary>
/// Test fixture: writes a TorchScript-style zip the way torch.jit.save lays out OpenAI's RN50.pt — data.pkl holding
/// the module tree (<c>__torch__.*</c> objects whose BUILD state maps attribute names to submodules, tensors and ints),
/// tensors as <c>_rebuild_tensor_v2</c> with persistent storage ids, storages under &lt;top&gt;/data/N, plus
/// constants.pkl and code/. Float tensors can be stored as HalfStorage like OpenAI's fp16 checkpoints.
/// </summary>
internal static class CrisTorchScriptWriter
{
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, long> intAttributes, bool half, string top = "RN50")
    {
        var root = new Node();
        foreach (var (k, t) in tensors) root.Insert(k.Split('.'), t);
        foreach (var (k, v) in intAttributes) root.Insert(k.Split('.'), v);
        var p = new List<byte> { 0x80, 2 };
        var storages = new Dictionary<string, byte[]>();
        Emit(p, root, "CLIP", storages, half);
        p.Add((byte)'.');
        using var fs = new FileStream(path, FileMode.Create);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        void Add(string name, byte[] data)
        {
            using var s = zip.CreateEntry(top + "/" + name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }
        Add("data.pkl", p.ToArray());
        foreach (var (k, v) in storages) Add("data/" + k, v);
        Add("constants.pkl", new byte[] { 0x80, 2, (byte)')', (byte)'.' });
        Add("code/__torch__/model.py", "class CLIP(Module): ..."u8.ToArray());
        Add("version", "3\n"u8.ToArray());
    }

    private sealed class Node
    {
        public readonly List<(string Name, object Value)> Items = new();

        public void Insert(string[] path, object value)
        {
            if (path.Length == 1) { Items.Add((path[0], value)); return; }
            var child = Items.FirstOrDefault(i => i.Name == path[0]).Value as Node;
            if (child is null) { child = new Node(); Items.Add((path[0], child)); }
            child.Insert(path[1..], value);
        }
    }

    private static void Emit(List<byte> p, Node node, string className, Dictionary<string, byte[]> storages, bool half)
    {
        Global(p, "__torch__.model", className);
        p.Add((byte)')'); p.Add(0x81);          // EMPTY_TUPLE, NEWOBJ
        p.Add((byte)'}'); p.Add((byte)'(');     // EMPTY_DICT, MARK
        Str(p, "training"); p.Add(0x89);        // False
        foreach (var (name, value) in node.Items)
        {
            Str(p, name);
            switch (value)
            {
                case Node child: Emit(p, child, "Module_" + name, storages, half); break;
                case Tensor t: TensorRef(p, t, storages, half); break;
                case long l: Int(p, l); break;
            }
        }
        p.Add((byte)'u'); p.Add((byte)'b');     // SETITEMS, BUILD
    }

    private static void TensorRef(List<byte> p, Tensor t, Dictionary<string, byte[]> storages, bool half)
    {
        string key = storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string type;
        if (t.DType == DType.F32)
        {
            var v = t.ToArray();
            if (half) { type = "HalfStorage"; storages[key] = v.SelectMany(x => BitConverter.GetBytes((Half)x)).ToArray(); }
            else { type = "FloatStorage"; storages[key] = v.SelectMany(BitConverter.GetBytes).ToArray(); }
        }
        else { type = "LongStorage"; storages[key] = t.ToInt64Array().SelectMany(BitConverter.GetBytes).ToArray(); }
        Global(p, "torch._utils", "_rebuild_tensor_v2");
        p.Add((byte)'(');
        p.Add((byte)'('); Str(p, "storage"); Global(p, "torch", type); Str(p, key); Str(p, "cpu"); Int(p, t.Numel); p.Add((byte)'t'); p.Add((byte)'Q');
        Int(p, 0);
        p.Add((byte)'('); foreach (var s in t.Shape) Int(p, s); p.Add((byte)'t');
        var strides = new long[t.Rank]; long acc = 1;
        for (int i = t.Rank - 1; i >= 0; i--) { strides[i] = acc; acc *= t.Shape[i]; }
        p.Add((byte)'('); foreach (var s in strides) Int(p, s); p.Add((byte)'t');
        p.Add(0x89);
        Global(p, "collections", "OrderedDict"); p.Add((byte)')'); p.Add((byte)'R');
        p.Add((byte)'t'); p.Add((byte)'R');
    }

    private static void Global(List<byte> p, string module, string name)
    {
        p.Add((byte)'c'); p.AddRange(Encoding.UTF8.GetBytes(module + "\n" + name + "\n"));
    }

    private static void Str(List<byte> p, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        p.Add((byte)'X'); p.AddRange(BitConverter.GetBytes(b.Length)); p.AddRange(b);
    }

    private static void Int(List<byte> p, long v)
    {
        if (v >= 0 && v < 256) { p.Add((byte)'K'); p.Add((byte)v); return; }
        if (v >= int.MinValue && v <= int.MaxValue) { p.Add((byte)'J'); p.AddRange(BitConverter.GetBytes((int)v)); return; }
        p.Add(0x8a); p.Add(8); p.AddRange(BitConverter.GetBytes(v));
    }
}
