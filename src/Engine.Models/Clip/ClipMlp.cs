using Engine.Backends;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>CLIPMLP: fc2(act(fc1(x))).</summary>
public sealed class ClipMlp : Module
{
    private readonly UnaryOp _act;

    public ClipMlp(int hidden, int intermediate, string activation, Random? rng = null)
    {
        _act = ClipActivations.Kind(activation);
        Activation = activation;
        Fc1 = Add("fc1", new Linear(hidden, intermediate, rng: rng));
        Fc2 = Add("fc2", new Linear(intermediate, hidden, rng: rng));
    }

    public string Activation { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }

    public Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>fc2(act(fc1(x))) + residual; at inference with packed weights the activation and the residual add run
    /// inside the two GEMMs.</summary>
    public Tensor Forward(Tensor x, Tensor? residual) => Fc2.Forward(Fc1.Forward(x, _act, null), null, residual);
}
