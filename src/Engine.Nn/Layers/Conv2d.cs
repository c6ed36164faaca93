namespace Engine.Nn;

/// <summary>2-D convolution, weight [out, in/groups, kh, kw].</summary>
public sealed class Conv2d : Module
{
    public Conv2d(int inCh, int outCh, int kernel, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Random? rng = null)
    {
        Stride = stride; Padding = padding; Dilation = dilation; Groups = groups;
        rng ??= new Random(0);
        float bound = 1f / MathF.Sqrt(inCh / groups * kernel * kernel);
        Weight = AddParameter("weight", Tensor.Uniform(rng, -bound, bound, outCh, inCh / groups, kernel, kernel));
        if (bias) Bias = AddParameter("bias", Tensor.Uniform(rng, -bound, bound, outCh));
    }

    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public Tensor Forward(Tensor x) => Ops.Conv2d(x, Weight.Value, Bias?.Value, (Stride, Stride), (Padding, Padding), (Dilation, Dilation), Groups);
}
