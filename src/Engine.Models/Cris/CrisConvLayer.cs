using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>CRIS's <c>conv_layer(in, out, k, padding)</c> = Sequential(Conv2d k×k without bias, BatchNorm2d, ReLU): keys
/// <c>0.weight</c> and <c>1.*</c> (the ReLU at index 2 owns no keys).</summary>
public sealed class CrisConvLayer : Module
{
    public CrisConvLayer(int inChannels, int outChannels, int kernel, int padding, Random? rng = null)
    {
        Conv = Add("0", new Conv2d(inChannels, outChannels, kernel, stride: 1, padding: padding, bias: false, rng: rng));
        Norm = Add("1", new BatchNorm2d(outChannels));
    }

    public Conv2d Conv { get; }
    public BatchNorm2d Norm { get; }

    public Tensor Forward(Tensor x) => Ops.Relu(Norm.Forward(CrisConv.Apply(Conv, x)));
}
