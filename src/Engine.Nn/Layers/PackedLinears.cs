using Engine.Backends;

namespace Engine.Nn;

/// <summary>
/// The packed inference copy of one or more <see cref="Linear"/> layers that read the same input: their weights
/// stacked along the output axis and packed once for the CPU GEMM, so a forward pass is one product whose result
/// [..., sum of outputs] holds each layer's output side by side (one layer: a Linear's own fast path; several:
/// attention's q, k and v in one GEMM, the input packed once; a patch convolution's weight [out, C, p, p] read as
/// [out, C*p*p]). Not a module: it owns no parameters, only the copy, remade when any weight or bias is replaced or
/// updated in place (<see cref="Parameter.Version"/>). Training, other devices and few-row inputs use the layers
/// themselves.
/// </summary>
public sealed class PackedLinears
{
    /// <summary>Rows above which the packed weight pays off; fewer rows stream the weight unpacked (SkinnyGemm).
    /// Measured on cold CLIP text-encoder weights (512 x 512, 512 x 2048, 2048 x 512): at 12 rows (a short prompt)
    /// the packed panels are 0-20 % faster, at 1 and 4 rows the skinny loops 10-25 % faster.</summary>
    private const int MinRows = 8;

    /// <summary>Each layer's weight (any rank: read as [out, rest]) and bias.</summary>
    private readonly (Parameter Weight, Parameter? Bias)[] _parts;
    /// <summary>Every weight and bias the copy is made from, in stacking order.</summary>
    private readonly Parameter[] _sources;
    private readonly object _gate = new();
    private Packed? _packed;

    /// <summary>The packed copy and the stamps of the parameters it was made from.</summary>
    private sealed record Packed(PackedLinearWeight Weight, Tensor? Bias, ParameterStamp[] From);

    public PackedLinears(params Linear[] parts) : this(parts.Select(l => (l.Weight, l.Bias)).ToArray()) { }

    /// <param name="parts">weights [out, ...] (a weight of rank above 2 is read as [out, product of the rest], as a
    /// convolution's is by its im2col GEMM) and their biases [out] or null.</param>
    public PackedLinears(params (Parameter Weight, Parameter? Bias)[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("PackedLinears: no layers.");
        int inF = InFeaturesOf(parts[0].Weight);
        if (parts.Any(p => InFeaturesOf(p.Weight) != inF))
            throw new ArgumentException($"PackedLinears: the layers read different input sizes ({string.Join(", ", parts.Select(p => InFeaturesOf(p.Weight)))}).");
        if (parts.Any(p => p.Bias is null) && parts.Any(p => p.Bias is not null))
            throw new ArgumentException("PackedLinears: either every layer has a bias or none has.");
        _parts = parts;
        _sources = parts.SelectMany(l => l.Bias is null ? new[] { l.Weight } : new[] { l.Weight, l.Bias }).ToArray();
    }

    private static int InFeaturesOf(Parameter weight) => weight.Shape.Length < 2 ? throw new ArgumentException(
        $"PackedLinears: weight {Shape.Format(weight.Shape)} is not [out, in, ...].") : (int)(Shape.Numel(weight.Shape) / weight.Shape[0]);

    public int OutFeatures => _parts.Sum(p => p.Weight.Shape[0]);

    /// <summary>Whether <see cref="TryForward"/> takes an input of <paramref name="rows"/> rows on
    /// <paramref name="device"/>: packed, no gradient recording, CPU, more than <see cref="MinRows"/> rows. Lets a
    /// caller skip preparing an input the packed path would not run (a patch embedding's flattened patches).</summary>
    public bool Accepts(int rows, Device device)
        => _packed is not null && !Engine.Autograd.GradMode.IsEnabled && device.Kind == DeviceKind.Cpu && rows > MinRows;

    /// <summary>Packs the stacked weights now (what <see cref="Module.PackForInference"/> calls).</summary>
    public void Pack() => Current(repack: true);

    /// <summary>activation(x through every layer, concatenated) + residual, [..., <see cref="OutFeatures"/>], when the
    /// packed inference path applies (packed, no gradient recording, CPU, enough rows); null when the caller must run
    /// the layers themselves.</summary>
    public Tensor? TryForward(Tensor x, UnaryOp? activation = null, Tensor? residual = null)
    {
        if (x.Rank < 1 || !Accepts((int)(x.Numel / Math.Max(1, x.Shape[^1])), x.Device)
            || (residual is not null && residual.Device.Kind != DeviceKind.Cpu))
            return null;
        var packed = Current(repack: false);
        return packed is null ? null : Ops.Linear(x, packed.Weight, packed.Bias, activation, residual);
    }

    private Packed? Current(bool repack)
    {
        var p = _packed;
        if (p is not null && IsCurrent(p)) return p;
        if (!repack && p is null) return null;
        lock (_gate)
        {
            if (_packed is not null && IsCurrent(_packed)) return _packed;
            // Only CPU weights are packed: elsewhere stacking them would copy every weight for nothing, and since
            // nothing is kept, again at every PackForInference (each GPU forward of `engine forward` and the benchmarks:
            // 81 weight copies per CLIPSeg forward on an H200).
            if (_sources.Any(s => s.Value.Device.Kind != DeviceKind.Cpu)) { _packed = null; return null; }
            // A previous copy is left to its finaliser: a concurrent forward may still read it.
            var from = Array.ConvertAll(_sources, ParameterStamp.Of); // before packing: a change meanwhile shows as stale
            using (Tensor.NoGrad())
            {
                var weight = PackedLinearWeight.TryPack(Stack(_parts.Select(l => l.Weight.Value.Reshape(l.Weight.Shape[0], -1))));
                if (weight is null) { _packed = null; return null; }
                var bias = _parts[0].Bias is null ? null : Stack(_parts.Select(l => l.Bias!.Value));
                if (bias is not null) TensorScope.Persist(bias); // kept with the copy: no caller's TensorScope may release it
                _packed = new Packed(weight, bias, from);
            }
            return _packed;
        }
    }

    /// <summary>The tensors concatenated along axis 0; a single one as it is (no copy).</summary>
    private static Tensor Stack(IEnumerable<Tensor> tensors)
    {
        var list = tensors.ToArray();
        return list.Length == 1 ? list[0] : Ops.Cat(list, 0);
    }

    private bool IsCurrent(Packed p)
    {
        for (int i = 0; i < _sources.Length; i++)
            if (!p.From[i].Matches(_sources[i])) return false;
        return true;
    }
}
