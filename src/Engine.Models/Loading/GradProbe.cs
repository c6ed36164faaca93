namespace Engine.Models.Loading;

/// <summary>
/// The golden files' generic gradient probe: for every input named <c>grad_probe.X</c> (fixed random weights R shaped
/// like output X), loss = sum over X of sum(X * R). Lets <c>engine forward --grads</c> reproduce a probe loss on models
/// that have no natural loss (text or vision towers).
/// </summary>
public static class GradProbe
{
    public const string Prefix = "grad_probe.";

    public static bool Present(IReadOnlyDictionary<string, Tensor> inputs) => inputs.Keys.Any(k => k.StartsWith(Prefix, StringComparison.Ordinal));

    /// <summary>Builds the probe loss from <paramref name="outputs"/> (which must still carry their graph); null when no probe input exists.</summary>
    public static Tensor? Loss(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyDictionary<string, Tensor> outputs)
    {
        Tensor? loss = null;
        foreach (var (k, r) in inputs.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            if (!k.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            var name = k[Prefix.Length..];
            if (!outputs.TryGetValue(name, out var y))
                throw new KeyNotFoundException($"Input '{k}' weights output '{name}', which this model does not produce (outputs: {string.Join(", ", outputs.Keys.OrderBy(x => x, StringComparer.Ordinal))}).");
            if (!y.Shape.SequenceEqual(r.Shape))
                throw new ArgumentException($"Input '{k}' has shape {Shape.Format(r.Shape)} but output '{name}' has {Shape.Format(y.Shape)}.");
            var term = Ops.Sum(Ops.Mul(y, r.To(y.Device)));
            loss = loss is null ? term : Ops.Add(loss, term);
        }
        return loss;
    }
}
