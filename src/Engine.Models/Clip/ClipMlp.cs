using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>CLIPMLP: fc2(act(fc1(x))).</summary>
public sealed class ClipMlp : Module
{
    private readonly Func<Tensor, Tensor> _act;

    public ClipMlp(int hidden, int intermediate, string activation, Random? rng = null)
    {
        _act = ClipActivations.Get(activation);
        Activation = activation;
        Fc1 = Add("fc1", new Linear(hidden, intermediate, rng: rng));
        Fc2 = Add("fc2", new Linear(intermediate, hidden, rng: rng));
    }

    public string Activation { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }

    public Tensor Forward(Tensor x) => Fc2.Forward(_act(Fc1.Forward(x)));
}
