using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>open_clip's <c>hf_proj_type="mlp"</c> projection, an nn.Sequential with keys 0 and 2:
/// Linear(D -> (D+E)/2, no bias) -> GELU (erf, index 1, no parameters) -> Linear((D+E)/2 -> E, no bias).</summary>
public sealed class MlpProjection : Module
{
    public MlpProjection(int inDim, int outDim, Random rng)
    {
        HiddenDim = (inDim + outDim) / 2;
        First = Add("0", new Linear(inDim, HiddenDim, bias: false, rng: rng));
        Second = Add("2", new Linear(HiddenDim, outDim, bias: false, rng: rng));
    }

    public int HiddenDim { get; }
    public Linear First { get; }
    public Linear Second { get; }

    /// <param name="hidden">receives the GELU output (the golden <c>text.proj_hidden</c>).</param>
    public Tensor Forward(Tensor x, out Tensor hidden)
    {
        hidden = Ops.Gelu(First.Forward(x));
        return Second.Forward(hidden);
    }

    public Tensor Forward(Tensor x) => Forward(x, out _);
}
