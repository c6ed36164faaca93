using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>A Bottleneck shortcut: Sequential("-1" AvgPool2d(stride) [no parameters], "0" 1×1 Conv2d without bias,
/// "1" BatchNorm2d). AvgPool2d(1) (stage 1) is the identity.</summary>
public sealed class CrisDownsample : Module
{
    public CrisDownsample(int inChannels, int outChannels, int stride, Random? rng = null)
    {
        Stride = stride;
        Conv = Add("0", new Conv2d(inChannels, outChannels, 1, bias: false, rng: rng));
        Norm = Add("1", new BatchNorm2d(outChannels));
    }

    public int Stride { get; }
    public Conv2d Conv { get; }
    public BatchNorm2d Norm { get; }

    public Tensor Forward(Tensor x)
    {
        if (Stride > 1) x = Ops.AvgPool2d(x, (Stride, Stride), (Stride, Stride), (0, 0));
        return Norm.Forward(CrisConv.Apply(Conv, x));
    }
}
