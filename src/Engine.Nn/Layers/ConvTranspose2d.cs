namespace Engine.Nn;

/// <summary>Transposed 2-D convolution, weight [in, out/groups, kh, kw] (PyTorch layout).</summary>
public sealed class ConvTranspose2d : Module
{
    public ConvTranspose2d(int inCh, int outCh, int kernel, int stride = 1, int padding = 0, int outputPadding = 0, bool bias = true, Random? rng = null)
    {
        Stride = stride; Padding = padding; OutputPadding = outputPadding;
        rng ??= new Random(0);
        float bound = 1f / MathF.Sqrt(outCh * kernel * kernel);
        Weight = AddParameter("weight", Tensor.Uniform(rng, -bound, bound, inCh, outCh, kernel, kernel));
        if (bias) Bias = AddParameter("bias", Tensor.Uniform(rng, -bound, bound, outCh));
    }

    public int Stride { get; }
    public int Padding { get; }
    public int OutputPadding { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public Tensor Forward(Tensor x) => Ops.ConvTranspose2d(x, Weight.Value, Bias?.Value, (Stride, Stride), (Padding, Padding), (OutputPadding, OutputPadding));
}
