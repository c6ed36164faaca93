using Engine.Models.Loading;

namespace Engine.Models.Cris;

/// <summary>What <see cref="CrisClipImport"/> took from a CLIP checkpoint.</summary>
/// <param name="State">backbone tensors under CRIS's CLIP key names (without the "backbone." prefix), float32.</param>
/// <param name="Arch">the CLIP sizes inferred from the tensors.</param>
/// <param name="Ignored">keys of the file that are known non-parameters (attn_mask buffers, input_resolution, context_length, vocab_size).</param>
/// <param name="Defaulted">keys CRIS has but the file lacks and that keep the new model's values: the attention pool's
/// <c>connect.*</c> (CRIS's addition to CLIP) and num_batches_tracked counters if the file has none.</param>
public sealed record CrisClipImportResult(Dictionary<string, Tensor> State, CrisClipArchitecture Arch, IReadOnlyList<string> Ignored, IReadOnlyList<string> Defaulted);

/// <summary>
/// Reads OpenAI's CLIP RN50/RN101 checkpoint for CRIS's backbone, as CRIS does (<c>torch.jit.load(RN50.pt).state_dict()</c>
/// → build_model → <c>load_state_dict(strict=False)</c>), but without executing anything: the TorchScript zip's pickled
/// module tree (data.pkl, tensors in its storages) is read by attribute path, half-precision tensors become float32.
/// A plain state-dict export (torch.save of <c>model.state_dict()</c>, or safetensors) works the same way.
/// Every CLIP ResNet tensor must be present with CRIS's shape; only the known non-parameters are skipped.
/// </summary>
public static class CrisClipImport
{
    /// <summary>Keys a CLIP checkpoint carries that are not CRIS parameters: the text causal-mask buffers and the
    /// TorchScript module's int attributes (build_model deletes them too).</summary>
    public static bool IsKnownExtra(string key)
        => key is "input_resolution" or "context_length" or "vocab_size" || key.EndsWith("attn_mask", StringComparison.Ordinal);

    public static CrisClipImportResult Read(string path)
    {
        var raw = WeightFiles.Load(path);
        // Accept a CRIS checkpoint too: its backbone is a CLIP state dict under "backbone.".
        if (raw.Keys.Any(k => k.StartsWith("backbone.visual.", StringComparison.Ordinal)))
            raw = raw.Where(kv => kv.Key.StartsWith("backbone.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["backbone.".Length..], kv => kv.Value, StringComparer.Ordinal);
        var arch = CrisClipArchitecture.FromStateDict(raw, "", path);
        var expected = new CrisClip(arch, new Random(0)).StateDict();
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var ignored = new List<string>(); var defaulted = new List<string>(); var missing = new List<string>(); var bad = new List<string>();
        foreach (var (key, like) in expected)
        {
            if (!raw.TryGetValue(key, out var t))
            {
                if (key.StartsWith("visual.attnpool.connect.", StringComparison.Ordinal) || key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) defaulted.Add(key);
                else missing.Add(key);
                continue;
            }
            if (!t.Shape.SequenceEqual(like.Shape)) { bad.Add($"{key}: file {Shape.Format(t.Shape)} vs CRIS {Shape.Format(like.Shape)}"); continue; }
            if (like.DType == DType.F32 && t.DType != DType.F32) { bad.Add($"{key}: {t.DType}, expected a float tensor"); continue; }
            state[key] = like.DType == DType.F32 ? t : Tensor.FromArray(t.ToInt64Array(), (int[])t.Shape.Clone());
        }
        var unexpected = new List<string>();
        foreach (var key in raw.Keys)
        {
            if (expected.ContainsKey(key)) continue;
            if (IsKnownExtra(key)) ignored.Add(key); else unexpected.Add(key);
        }
        if (missing.Count + bad.Count + unexpected.Count > 0)
        {
            var msg = $"'{path}' is not a CLIP ResNet checkpoint CRIS can start from:";
            if (missing.Count > 0) msg += $"\n  missing ({missing.Count}): {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", ..." : "")}";
            if (bad.Count > 0) msg += $"\n  wrong shape/dtype ({bad.Count}): {string.Join("; ", bad.Take(20))}";
            if (unexpected.Count > 0) msg += $"\n  unexpected ({unexpected.Count}): {string.Join(", ", unexpected.Take(20))}{(unexpected.Count > 20 ? ", ..." : "")}";
            throw new InvalidDataException(msg);
        }
        ignored.Sort(StringComparer.Ordinal); defaulted.Sort(StringComparer.Ordinal);
        return new CrisClipImportResult(state, arch, ignored, defaulted);
    }
}
