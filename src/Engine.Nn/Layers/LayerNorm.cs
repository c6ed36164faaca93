namespace Engine.Nn;

/// <summary>LayerNorm over the last axis with affine weight/bias.</summary>
public sealed class LayerNorm : Module
{
    public LayerNorm(int dim, float eps = 1e-5f)
    {
        Eps = eps;
        Weight = AddParameter("weight", Tensor.Ones(dim));
        Bias = AddParameter("bias", Tensor.Zeros(dim));
    }

    public float Eps { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }

    public Tensor Forward(Tensor x) => Ops.LayerNorm(x, Weight.Value, Bias.Value, Eps);
}
