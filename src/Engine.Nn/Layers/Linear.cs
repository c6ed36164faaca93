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
        _packed = new PackedLinears(this);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>The packed inference copy of this layer's weight (<see cref="Module.PackForInference"/>).</summary>
    private readonly PackedLinears _packed;

    public Tensor Forward(Tensor x) => Forward(x, null, null);

    /// <summary>activation(x W^T + b) + residual (residual: the output's shape). With a packed weight at inference the
    /// GEMM applies all three to each finished block of the output (<see cref="Ops.Linear(Tensor, PackedLinearWeight, Tensor?, Engine.Backends.UnaryOp?, Tensor?)"/>);
    /// otherwise it is the composition of the recorded ops.</summary>
    public Tensor Forward(Tensor x, Engine.Backends.UnaryOp? activation, Tensor? residual)
    {
        if (_packed.TryForward(x, activation, residual) is { } fast) return fast;
        var y = Ops.Linear(x, Weight.Value, Bias?.Value);
        if (activation is { } act) y = Ops.Activate(y, act);
        return residual is null ? y : Ops.Add(residual, y);
    }

    protected override void OnPackForInference() => _packed.Pack();
}
