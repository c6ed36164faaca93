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

    public Tensor Forward(Tensor x) => Ops.Linear(x, Weight.Value, Bias?.Value);
}
