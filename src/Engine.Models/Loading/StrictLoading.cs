using Engine.Nn;

namespace Engine.Models.Loading;

/// <summary>
/// Strict state-dict loading: every parameter present with its shape, no unknown key, except an explicit allow-list of
/// buffers that older checkpoints still carry but the model does not persist (transformers' non-persistent
/// <c>position_ids</c>).
/// </summary>
public static class StrictLoading
{
    /// <summary>Key suffixes of known non-persistent buffers that a checkpoint may contain and that are ignored.</summary>
    public static readonly IReadOnlyList<string> IgnoredBufferSuffixes = new[] { "embeddings.position_ids" };

    public static bool IsIgnorableBuffer(string key)
    {
        foreach (var s in IgnoredBufferSuffixes)
            if (key == s || key.EndsWith("." + s, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>Loads <paramref name="state"/> into <paramref name="model"/> strictly (see class summary).</summary>
    public static void Load(Module model, IReadOnlyDictionary<string, Tensor> state, string source)
        => model.LoadStateDict(state, IsIgnorableBuffer, source);
}
