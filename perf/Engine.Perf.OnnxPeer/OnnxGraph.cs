using System.Runtime.InteropServices;

namespace Engine.Perf.OnnxPeer;

/// <summary>One node attribute (AttributeProto): an int, a float or a list of ints.</summary>
internal sealed record OnnxAttribute(string Name, long? Int = null, float? Float = null, long[]? Ints = null)
{
    public static OnnxAttribute Of(string name, long value) => new(name, Int: value);
    public static OnnxAttribute Of(string name, float value) => new(name, Float: value);
    public static OnnxAttribute Of(string name, params long[] values) => new(name, Ints: values);
}

/// <summary>
/// Collects an ONNX graph (nodes in topological order, float/int64 initializers, typed inputs and outputs) and
/// serialises it as a ModelProto. Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto,
/// AttributeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).
/// </summary>
internal sealed class OnnxGraph
{
    // TensorProto.DataType values.
    public const int Float32 = 1, Int64 = 7;

    private readonly List<ProtoWriter> _nodes = new();
    private readonly List<ProtoWriter> _initializers = new();
    private readonly List<ProtoWriter> _inputs = new();
    private readonly List<ProtoWriter> _outputs = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _nextId;

    public int NodeCount => _nodes.Count;
    public long InitializerBytes { get; private set; }

    /// <summary>A float32 initializer (raw little-endian data). Returns its name.</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        CheckCount(name, data.Length, dims);
        AddTensor(name, Float32, MemoryMarshal.AsBytes(data), dims);
        return name;
    }

    /// <summary>An int64 initializer (shapes, pads, indices). Returns its name.</summary>
    public string Int64Initializer(string name, ReadOnlySpan<long> data, params long[] dims)
    {
        CheckCount(name, data.Length, dims);
        AddTensor(name, Int64, MemoryMarshal.AsBytes(data), dims);
        return name;
    }

    /// <summary>Appends a node; its single output gets <paramref name="output"/> or a fresh name, which is returned.</summary>
    public string Node(string opType, string[] inputs, string? output = null, params OnnxAttribute[] attributes)
    {
        output ??= $"{opType.ToLowerInvariant()}_{_nextId}";
        Claim(output);
        var node = new ProtoWriter();
        foreach (var i in inputs) node.String(1, i);        // NodeProto.input
        node.String(2, output);                              // NodeProto.output
        node.String(3, $"{opType}_{_nextId++}");             // NodeProto.name
        node.String(4, opType);                              // NodeProto.op_type
        foreach (var a in attributes) node.Message(5, w => WriteAttribute(w, a)); // NodeProto.attribute
        _nodes.Add(node);
        return output;
    }

    /// <summary>A graph input or output: float32 with dims that are sizes (long/int) or symbolic names (string).</summary>
    public void Input(string name, params object[] dims) { Claim(name); _inputs.Add(ValueInfo(name, dims)); }

    /// <summary>Declares an existing value (a node output) as a graph output.</summary>
    public void Output(string name, params object[] dims)
    {
        if (!_names.Contains(name)) throw new InvalidOperationException($"graph output '{name}' is produced by no node.");
        _outputs.Add(ValueInfo(name, dims));
    }

    /// <summary>The serialised ModelProto (one default-domain opset import).</summary>
    public byte[] ToModelBytes(long irVersion, long opset, string producer, string graphName)
    {
        var graph = new ProtoWriter();
        foreach (var n in _nodes) graph.Message(1, n);        // GraphProto.node
        graph.String(2, graphName);                          // GraphProto.name
        foreach (var t in _initializers) graph.Message(5, t); // GraphProto.initializer
        foreach (var i in _inputs) graph.Message(11, i);      // GraphProto.input
        foreach (var o in _outputs) graph.Message(12, o);     // GraphProto.output

        var model = new ProtoWriter();
        model.Varint(1, irVersion);                          // ModelProto.ir_version
        model.String(2, producer);                           // ModelProto.producer_name
        model.Message(7, graph);                             // ModelProto.graph
        model.Message(8, w =>                                // ModelProto.opset_import (OperatorSetIdProto)
        {
            w.String(1, "");                                 // domain: "" = ai.onnx
            w.Varint(2, opset);                              // version
        });
        return model.ToArray();
    }

    private void AddTensor(string name, int dataType, ReadOnlySpan<byte> raw, long[] dims)
    {
        Claim(name);
        var t = new ProtoWriter();
        foreach (long d in dims) t.Varint(1, d);             // TensorProto.dims
        t.Varint(2, dataType);                               // TensorProto.data_type
        t.String(8, name);                                   // TensorProto.name
        t.Bytes(9, raw);                                     // TensorProto.raw_data (little-endian)
        _initializers.Add(t);
        InitializerBytes += raw.Length;
    }

    private static void WriteAttribute(ProtoWriter w, OnnxAttribute a)
    {
        // AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7).
        w.String(1, a.Name);
        if (a.Int is long i) { w.Varint(20, 2); w.Varint(3, i); }
        else if (a.Float is float f) { w.Varint(20, 1); w.Float(2, f); }
        else if (a.Ints is long[] ints) { w.Varint(20, 7); foreach (long v in ints) w.Varint(8, v); }
        else throw new ArgumentException($"attribute '{a.Name}' has no value.");
    }

    private static ProtoWriter ValueInfo(string name, object[] dims)
    {
        var v = new ProtoWriter();
        v.String(1, name);                                   // ValueInfoProto.name
        v.Message(2, type =>                                 // ValueInfoProto.type (TypeProto)
            type.Message(1, tensor =>                        // TypeProto.tensor_type
            {
                tensor.Varint(1, Float32);                   // elem_type
                tensor.Message(2, shape =>                   // shape (TensorShapeProto)
                {
                    foreach (var d in dims)
                        shape.Message(1, dim =>              // TensorShapeProto.dim
                        {
                            switch (d)
                            {
                                case string symbol: dim.String(2, symbol); break;  // dim_param
                                case int n: dim.Varint(1, n); break;               // dim_value
                                case long n: dim.Varint(1, n); break;
                                default: throw new ArgumentException($"dimension '{d}' of '{name}' is neither a size nor a symbol.");
                            }
                        });
                });
            }));
        return v;
    }

    private void Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX value name '{name}' is defined twice.");
    }

    private static void CheckCount(string name, int count, long[] dims)
    {
        long n = 1;
        foreach (long d in dims) n *= d;
        if (n != count) throw new ArgumentException($"initializer '{name}': {count} values do not fill dims [{string.Join(", ", dims)}].");
    }
}
