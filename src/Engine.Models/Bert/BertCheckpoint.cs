namespace Engine.Models.Bert;

/// <summary>
/// Maps the key variants real BERT checkpoints use onto <see cref="BertModel"/>'s names, as HF does when loading a
/// bare BertModel: a <c>bert.</c> prefix (files saved from BertForMaskedLM / BertForPreTraining, like BiomedBERT's)
/// is stripped and the task heads (<c>cls.*</c>) dropped; TF-converted <c>LayerNorm.gamma/beta</c> become
/// <c>weight/bias</c>; the non-persistent <c>embeddings.position_ids</c> / <c>token_type_ids</c> buffers are ignored.
/// </summary>
public static class BertCheckpoint
{
    /// <summary>Keys a checkpoint may carry that the model deliberately does not use.</summary>
    public static bool IsIgnorable(string key)
        => key.EndsWith("embeddings.position_ids", StringComparison.Ordinal)
           || key.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal);

    /// <summary>Returns the encoder's tensors under BertModel key names (a new dictionary; tensors are shared).</summary>
    public static Dictionary<string, Tensor> Normalize(IReadOnlyDictionary<string, Tensor> raw)
    {
        bool prefixed = raw.Keys.Any(k => k.StartsWith("bert.", StringComparison.Ordinal));
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in raw)
        {
            string k = key;
            if (prefixed)
            {
                if (!k.StartsWith("bert.", StringComparison.Ordinal)) continue; // cls.*, heads of pre-training models
                k = k["bert.".Length..];
            }
            if (IsIgnorable(k)) continue;
            if (k.EndsWith(".gamma", StringComparison.Ordinal)) k = k[..^".gamma".Length] + ".weight";
            else if (k.EndsWith(".beta", StringComparison.Ordinal)) k = k[..^".beta".Length] + ".bias";
            if (!result.TryAdd(k, t)) throw new InvalidDataException($"Checkpoint holds '{key}' twice after key normalisation (as '{k}').");
        }
        return result;
    }

    /// <summary>Whether the (normalised) checkpoint has the tanh pooler.</summary>
    public static bool HasPooler(IReadOnlyDictionary<string, Tensor> normalized) => normalized.ContainsKey("pooler.dense.weight");
}
