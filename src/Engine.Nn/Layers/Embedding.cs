namespace Engine.Nn;

/// <summary>Lookup table [num, dim]; ids outside the table are an error (never clamped).</summary>
public sealed class Embedding : Module
{
    public Embedding(int num, int dim, Random? rng = null)
    {
        rng ??= new Random(0);
        Weight = AddParameter("weight", Tensor.Randn(rng, num, dim));
    }

    public Parameter Weight { get; }

    public Tensor Forward(Tensor ids) => Ops.Embedding(Weight.Value, ids);
}
