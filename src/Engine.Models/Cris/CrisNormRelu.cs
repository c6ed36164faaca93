using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary><c>neck.norm_layer</c> = Sequential(BatchNorm2d, ReLU): key <c>0.*</c>.</summary>
public sealed class CrisNormRelu : Module
{
    public CrisNormRelu(int channels) { Norm = Add("0", new BatchNorm2d(channels)); }

    public BatchNorm2d Norm { get; }

    public Tensor Forward(Tensor x) => Ops.Relu(Norm.Forward(x));
}
