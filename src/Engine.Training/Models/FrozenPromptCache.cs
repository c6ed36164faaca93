using System.Collections.Concurrent;

namespace Engine.Training.Models;

/// <summary>
/// Conditional embeddings of prompts for a frozen text encoder: each distinct prompt is encoded once, alone (so the
/// value depends on the prompt only, never on the batch it first appeared in or its padding), without a tape, and
/// reused for the rest of the run. Only valid while the text weights do not change.
/// </summary>
internal sealed class FrozenPromptCache
{
    private const int MaxEntries = 100_000;
    private readonly Func<string, float[]> _encodeOne;
    private readonly ConcurrentDictionary<string, float[]> _cache = new(StringComparer.Ordinal);

    /// <param name="encodeOne">Encodes one prompt to its [dim] embedding (called under no-grad).</param>
    public FrozenPromptCache(Func<string, float[]> encodeOne) { _encodeOne = encodeOne; }

    public int Count => _cache.Count;

    public void Clear() => _cache.Clear();

    /// <summary>[prompts.Count, dim] embeddings on the CPU.</summary>
    public Tensor Get(IReadOnlyList<string> prompts)
    {
        if (prompts.Count == 0) throw new ArgumentException("No prompts given.");
        float[][] rows = new float[prompts.Count][];
        for (int i = 0; i < prompts.Count; i++)
        {
            if (!_cache.TryGetValue(prompts[i], out var row))
            {
                using (Tensor.NoGrad()) row = _encodeOne(prompts[i]);
                if (_cache.Count >= MaxEntries) _cache.Clear();
                _cache[prompts[i]] = row;
            }
            rows[i] = row;
        }
        int d = rows[0].Length;
        var all = new float[prompts.Count * d];
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(all, i * d);
        return Tensor.FromArray(all, prompts.Count, d);
    }
}
