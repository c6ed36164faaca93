using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>timm <c>Mlp</c> (keys fc1, fc2): fc2(GELU_erf(fc1(x))).</summary>
public sealed class TimmMlp : Module
{
    public TimmMlp(int width, int hidden, Random rng)
    {
        Fc1 = Add("fc1", new Linear(width, hidden, rng: rng));
        Fc2 = Add("fc2", new Linear(hidden, width, rng: rng));
    }

    public Linear Fc1 { get; }
    public Linear Fc2 { get; }

    public Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>fc2(gelu(fc1(x))) + residual, the activation and residual inside the GEMMs at inference.</summary>
    public Tensor Forward(Tensor x, Tensor? residual) => Fc2.Forward(Fc1.Forward(x, Engine.Backends.UnaryOp.Gelu, null), null, residual);
}
