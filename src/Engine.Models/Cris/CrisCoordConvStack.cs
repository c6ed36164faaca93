using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary><c>neck.coordconv</c> = Sequential(CoordConv, conv_layer 3×3): keys <c>0.conv1.*</c>, <c>1.*</c>.</summary>
public sealed class CrisCoordConvStack : Module
{
    public CrisCoordConvStack(int channels, Random? rng = null)
    {
        Coord = Add("0", new CrisCoordConv(channels, channels, rng));
        Conv = Add("1", new CrisConvLayer(channels, channels, 3, 1, rng));
    }

    public CrisCoordConv Coord { get; }
    public CrisConvLayer Conv { get; }

    public Tensor Forward(Tensor x) => Conv.Forward(Coord.Forward(x));
}
