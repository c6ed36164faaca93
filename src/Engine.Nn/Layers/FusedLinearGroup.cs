namespace Engine.Nn;

/// <summary>
/// Several <see cref="Linear"/> layers that read the same input (attention's q, k and v projections), run at
/// inference as one GEMM over their weights stacked along the output axis: the input is packed once instead of once
/// per layer, and the result [..., sum of outputs] holds each layer's output side by side (views select them). Not a
/// module: it owns no parameters, only a packed copy made from the layers' current weights and biases, remade when any
/// of them is replaced or updated. Training and other devices use the layers themselves.
/// </summary>
public sealed class FusedLinearGroup
{
    private readonly Linear[] _parts;
    private readonly object _gate = new();
    private Packed? _packed;

    /// <summary>The weights and biases a packed copy was made from (reference and version of each).</summary>
    private sealed record Packed(PackedLinearWeight Weight, Tensor? Bias, Tensor[] From, int[] Versions);

    public FusedLinearGroup(params Linear[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("FusedLinearGroup: no layers.");
        int inF = parts[0].InFeatures;
        if (parts.Any(p => p.InFeatures != inF))
            throw new ArgumentException($"FusedLinearGroup: the layers read different input sizes ({string.Join(", ", parts.Select(p => p.InFeatures))}).");
        if (parts.Any(p => p.Bias is null) && parts.Any(p => p.Bias is not null))
            throw new ArgumentException("FusedLinearGroup: either every layer has a bias or none has.");
        _parts = parts;
    }

    public int OutFeatures => _parts.Sum(p => p.OutFeatures);

    /// <summary>Packs the stacked weights now (what <see cref="Module.PackForInference"/> calls).</summary>
    public void Pack() => Current(repack: true);

    /// <summary>[..., <see cref="OutFeatures"/>] = x through every layer, concatenated, when the fused inference path
    /// applies (packed, no gradient recording, CPU, enough rows); null when the caller must run the layers one by one.</summary>
    public Tensor? TryForward(Tensor x)
    {
        if (_packed is null || Engine.Autograd.GradMode.IsEnabled || x.Device.Kind != DeviceKind.Cpu || x.Rank < 1
            || x.Numel / Math.Max(1, x.Shape[^1]) <= Linear.PackedMinRows)
            return null;
        var packed = Current(repack: false);
        return packed is null ? null : Ops.Linear(x, packed.Weight, packed.Bias);
    }

    private Packed? Current(bool repack)
    {
        var p = _packed;
        if (p is not null && IsCurrent(p)) return p;
        if (!repack && p is null) return null;
        lock (_gate)
        {
            if (_packed is not null && IsCurrent(_packed)) return _packed;
            // A previous copy is left to its finaliser: a concurrent forward may still read it.
            var from = _parts.SelectMany(l => l.Bias is null ? new[] { l.Weight } : new[] { l.Weight, l.Bias }).ToArray();
            var values = from.Select(q => q.Value).ToArray();
            var versions = from.Select(q => q.Version).ToArray();
            using (Tensor.NoGrad())
            {
                var weight = PackedLinearWeight.TryPack(Ops.Cat(_parts.Select(l => l.Weight.Value).ToArray(), 0));
                if (weight is null) { _packed = null; return null; }
                var bias = _parts[0].Bias is null ? null : Ops.Cat(_parts.Select(l => l.Bias!.Value).ToArray(), 0);
                _packed = new Packed(weight, bias, values, versions);
            }
            return _packed;
        }
    }

    private bool IsCurrent(Packed p)
    {
        int i = 0;
        foreach (var l in _parts)
        {
            if (!ReferenceEquals(p.From[i], l.Weight.Value) || p.Versions[i] != l.Weight.Version) return false;
            i++;
            if (l.Bias is null) continue;
            if (!ReferenceEquals(p.From[i], l.Bias.Value) || p.Versions[i] != l.Bias.Version) return false;
            i++;
        }
        return true;
    }
}
