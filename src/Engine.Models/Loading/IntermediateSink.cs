namespace Engine.Models.Loading;

/// <summary>
/// Collects named intermediate tensors during a forward pass (for conformance against golden files: e.g.
/// <c>vision.hidden_states.3</c>, <c>decoder.layer_input.0</c>). Models take an optional sink and record into it only
/// when one is given, so plain inference pays nothing. <see cref="Scope"/> gives a view that prefixes names, so a
/// tower records "hidden_states.0" and ends up as "vision.hidden_states.0". Thread-safe.
/// </summary>
public sealed class IntermediateSink
{
    private readonly Dictionary<string, Tensor> _store;
    private readonly string _prefix;
    private readonly object _lock;

    public IntermediateSink(bool recordAttentions = true) : this(new Dictionary<string, Tensor>(StringComparer.Ordinal), "", recordAttentions, new object()) { }

    private IntermediateSink(Dictionary<string, Tensor> store, string prefix, bool recordAttentions, object lck)
    {
        _store = store; _prefix = prefix; RecordAttentions = recordAttentions; _lock = lck;
    }

    /// <summary>When true, attention layers materialise their probabilities (slower than the fused kernel) and record them.</summary>
    public bool RecordAttentions { get; }

    /// <summary>A view that records under <c>prefix + name</c> into the same store.</summary>
    public IntermediateSink Scope(string prefix) => new(_store, _prefix + prefix, RecordAttentions, _lock);

    /// <summary>Records a detached copy-free view of <paramref name="t"/> (it stays valid: tensors are immutable once computed).</summary>
    public void Add(string name, Tensor t)
    {
        lock (_lock) _store[_prefix + name] = t.Detach();
    }

    /// <summary>Everything recorded so far, under full names.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors
    {
        get { lock (_lock) return new Dictionary<string, Tensor>(_store, StringComparer.Ordinal); }
    }
}
