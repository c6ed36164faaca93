using System.Collections;
using System.Numerics;

namespace Engine.Weights.Pickle;

// The plain-object model the safe unpickler produces. Python values map to: None -> null, bool, int -> long (or
// BigInteger when wider), float -> double, str -> string, bytes/bytearray -> byte[], list -> List<object?>,
// tuple -> PickleTuple, dict/OrderedDict/Counter -> PickleDict, set/frozenset -> PickleSet, an allow-listed global
// -> PickleGlobal, an opaque class instance (TorchScript `__torch__.*` modules) -> PickleObject, a tensor ->
// TorchTensorRef (lazy: its bytes stay in the archive until materialised).

/// <summary>A Python tuple.</summary>
public sealed class PickleTuple : IReadOnlyList<object?>
{
    public static readonly PickleTuple Empty = new(Array.Empty<object?>());
    private readonly object?[] _items;
    public PickleTuple(object?[] items) => _items = items;
    // Tuples that pass the hashability check contain no mutable containers, so their hash never changes; caching it
    // (and the check) keeps a big tuple reused as a dict key through the memo from costing its size on every use.
    internal int? CachedHash;
    internal bool CheckedHashable;
    public object? this[int index] => _items[index];
    public int Count => _items.Length;
    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)_items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
    public override string ToString() => $"tuple({_items.Length})";
}

/// <summary>A Python set or frozenset (kept as a list of members; membership is never computed).</summary>
public sealed class PickleSet : List<object?>
{
    public bool Frozen { get; init; }
}

/// <summary>A reference to an allow-listed global (a class or function name). It is only a name: resolving it
/// never imports or runs anything; REDUCE/NEWOBJ on it dispatch to fixed, data-only handlers.</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
    public override string ToString() => FullName;
}

/// <summary>An instance of an opaque class (TorchScript `__torch__.*` module objects): its class name, the
/// constructor arguments it was pickled with, and the BUILD state (for modules: a dict of attributes).</summary>
public sealed class PickleObject
{
    public PickleObject(string className, PickleTuple args) { ClassName = className; Args = args; }
    public string ClassName { get; }
    public PickleTuple Args { get; }
    public object? State { get; set; }
    public override string ToString() => $"<{ClassName}>";
}

/// <summary>An insertion-ordered Python dict (also OrderedDict and Counter). Keys are hashable scalars
/// (str, int, float, bool, bytes) or tuples of them. <see cref="Attributes"/> holds a BUILD state (e.g. the
/// <c>_metadata</c> a state-dict OrderedDict carries).</summary>
public sealed class PickleDict : IEnumerable<KeyValuePair<object, object?>>
{
    private readonly List<object> _order = new();
    private readonly Dictionary<object, object?> _map = new(PickleKeyComparer.Instance);

    public string Kind { get; init; } = "dict";
    public object? Attributes { get; set; }
    public int Count => _map.Count;
    public IEnumerable<object> Keys => _order;

    public object? this[object key] => _map[key];

    public void Set(object? key, object? value)
    {
        if (key is null) throw new InvalidDataException("a dict key is None, which this loader does not support.");
        PickleKeyComparer.CheckHashable(key);
        if (!_map.ContainsKey(key)) _order.Add(key);
        _map[key] = value;
    }

    public bool TryGetValue(object key, out object? value) => _map.TryGetValue(key, out value);
    public bool ContainsKey(object key) => _map.ContainsKey(key);

    public IEnumerator<KeyValuePair<object, object?>> GetEnumerator()
    {
        foreach (var k in _order) yield return new KeyValuePair<object, object?>(k, _map[k]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    public override string ToString() => $"{Kind}({Count})";
}

/// <summary>Value equality for dict keys, with Python's hashability rule (no lists, dicts or sets) and a depth
/// bound so hostile nested tuples cannot exhaust the stack.</summary>
internal sealed class PickleKeyComparer : IEqualityComparer<object>
{
    public static readonly PickleKeyComparer Instance = new();
    private const int MaxDepth = 16;

    public static void CheckHashable(object key, int depth = 0)
    {
        if (depth > MaxDepth) throw new InvalidDataException("a dict key is nested too deeply.");
        switch (key)
        {
            case string or long or BigInteger or double or bool or PickleGlobal: return;
            case byte[]: return;
            case PickleTuple t:
                if (t.CheckedHashable) return;
                foreach (var item in t)
                {
                    if (item is null) continue;
                    CheckHashable(item, depth + 1);
                }
                t.CheckedHashable = true;
                return;
            default: throw new InvalidDataException($"a dict key of type {PickleText.TypeName(key)} is not hashable.");
        }
    }

    public new bool Equals(object? a, object? b) => Eq(a, b, 0);

    private static bool Eq(object? a, object? b, int depth)
    {
        if (depth > MaxDepth) return false;
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return false;
        return (a, b) switch
        {
            (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
            (PickleTuple x, PickleTuple y) => x.Count == y.Count && Enumerable.Range(0, x.Count).All(i => Eq(x[i], y[i], depth + 1)),
            _ => a.Equals(b),
        };
    }

    public int GetHashCode(object o) => Hash(o, 0);

    private static int Hash(object? o, int depth)
    {
        if (o is null || depth > MaxDepth) return 0;
        switch (o)
        {
            case byte[] b:
            {
                var h = new HashCode();
                h.AddBytes(b);
                return h.ToHashCode();
            }
            case PickleTuple t:
            {
                if (t.CachedHash is { } cached) return cached;
                var h = new HashCode();
                foreach (var item in t) h.Add(Hash(item, depth + 1));
                int value = h.ToHashCode();
                // Keys pass CheckHashable (nesting <= MaxDepth) before they are hashed, so the depth cut-off never
                // applies and the value is the same at any depth: safe to cache.
                t.CachedHash = value;
                return value;
            }
            default: return o.GetHashCode();
        }
    }
}

/// <summary>Short, non-recursive descriptions of pickle values for error messages.</summary>
public static class PickleText
{
    public static string TypeName(object? o) => o switch
    {
        null => "None",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        byte[] => "bytes",
        PickleSet s => s.Frozen ? "frozenset" : "set",
        List<object?> => "list",
        PickleTuple => "tuple",
        PickleDict d => d.Kind,
        PickleGlobal g => $"global {g.FullName}",
        PickleObject p => p.ClassName,
        Torch.TorchTensorRef => "tensor",
        Torch.TorchStorageRef => "storage",
        _ => o.GetType().Name,
    };
}
