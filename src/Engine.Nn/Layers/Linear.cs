namespace Engine.Nn;

/// <summary>y = x W^T + b, W [out, in] (PyTorch layout). Default init: Kaiming-uniform like torch.nn.Linear.</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Random? rng = null)
    {
        InFeatures = inFeatures; OutFeatures = outFeatures;
        rng ??= new Random(0);
        float bound = 1f / MathF.Sqrt(inFeatures);
        Weight = AddParameter("weight", Tensor.Uniform(rng, -bound, bound, outFeatures, inFeatures));
        if (bias) Bias = AddParameter("bias", Tensor.Uniform(rng, -bound, bound, outFeatures));
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>Rows above which the packed weight pays off; fewer rows stream the weight unpacked (SkinnyGemm).</summary>
    internal const int PackedMinRows = 16;

    private PackedLinearWeight? _packed;
    private Tensor? _packedFrom;
    private int _packedVersion;
    private readonly object _packGate = new();

    public Tensor Forward(Tensor x) => Forward(x, null, null);

    /// <summary>activation(x W^T + b) + residual (residual: the output's shape). With a packed weight at inference the
    /// GEMM applies all three to each finished block of the output (<see cref="Ops.Linear(Tensor, PackedLinearWeight, Tensor?, Engine.Backends.UnaryOp?, Tensor?)"/>);
    /// otherwise it is the composition of the recorded ops.</summary>
    public Tensor Forward(Tensor x, Engine.Backends.UnaryOp? activation, Tensor? residual)
    {
        var packed = _packed;
        if (packed is not null && !Engine.Autograd.GradMode.IsEnabled && x.Device.Kind == DeviceKind.Cpu && x.Rank >= 1 && x.Numel / Math.Max(1, x.Shape[^1]) > PackedMinRows
            && (residual is null || residual.Device.Kind == DeviceKind.Cpu))
        {
            if (!PackedIsCurrent()) packed = Repack(); // the weight was replaced or updated since it was packed
            if (packed is not null) return Ops.Linear(x, packed, Bias?.Value, activation, residual);
        }
        var y = Ops.Linear(x, Weight.Value, Bias?.Value);
        if (activation is { } act) y = Ops.Activate(y, act);
        return residual is null ? y : Ops.Add(residual, y);
    }

    protected override void OnPackForInference() => Repack();

    /// <summary>Whether the packed copy was made from the weight as it is now (same tensor, no in-place update since).</summary>
    private bool PackedIsCurrent() => ReferenceEquals(_packedFrom, Weight.Value) && _packedVersion == Weight.Version;

    private PackedLinearWeight? Repack()
    {
        lock (_packGate)
        {
            if (_packed is not null && PackedIsCurrent()) return _packed;
            // A previous copy is not disposed here but left to its finaliser: a concurrent forward may still read it.
            _packedFrom = Weight.Value; _packedVersion = Weight.Version;
            _packed = PackedLinearWeight.TryPack(Weight.Value);
            return _packed;
        }
    }
}
