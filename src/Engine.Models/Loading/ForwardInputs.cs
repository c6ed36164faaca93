namespace Engine.Models.Loading;

/// <summary>Helpers for forward runners: required/optional named inputs with clear errors, and unused-input notes.</summary>
public static class ForwardInputs
{
    public static Tensor Require(IReadOnlyDictionary<string, Tensor> inputs, string name, string why)
        => inputs.TryGetValue(name, out var t) ? t
            : throw new KeyNotFoundException($"The inputs have no '{name}' ({why}); present: {string.Join(", ", inputs.Keys.OrderBy(x => x, StringComparer.Ordinal))}.");

    public static Tensor? Optional(IReadOnlyDictionary<string, Tensor> inputs, string name)
        => inputs.TryGetValue(name, out var t) ? t : null;

    /// <summary>Adds a note naming every input that is neither in <paramref name="known"/> nor a grad_probe.* weight.</summary>
    public static void NoteUnused(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyCollection<string> known, ForwardResult result)
    {
        var unused = inputs.Keys.Where(k => !known.Contains(k) && !k.StartsWith(GradProbe.Prefix, StringComparison.Ordinal))
            .OrderBy(x => x, StringComparer.Ordinal).ToList();
        if (unused.Count > 0) result.Notes.Add($"ignored inputs this model does not read: {string.Join(", ", unused)}");
    }

    /// <summary>Adds a note naming flags the runner does not understand.</summary>
    public static void NoteUnknownFlags(ForwardOptions options, IReadOnlyCollection<string> understood, ForwardResult result)
    {
        var unknown = options.Flags.Where(f => !understood.Contains(f)).OrderBy(x => x, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0) result.Notes.Add($"flags not used by this model: {string.Join(", ", unknown)}");
    }

    /// <summary>Inference runs the packed-weight path the segmenters use (fused Linear epilogues, see
    /// <see cref="Engine.Nn.Module.PackForInference"/>); the copy is kept until a weight changes, and a gradient run
    /// ignores it.</summary>
    public static void PackUnlessTraining(Engine.Nn.Module model, ForwardOptions options)
    {
        if (!options.ComputeGradients) model.PackForInference();
    }

    /// <summary>Float32 check for image-like inputs.</summary>
    public static Tensor Float(Tensor t, string name)
        => t.DType == DType.F32 ? t : throw new ArgumentException($"Input '{name}' must be float32 (found {t.DType}).");
}
