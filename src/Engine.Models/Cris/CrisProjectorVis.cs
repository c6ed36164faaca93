using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary><c>proj.vis</c> = Sequential(Upsample×2 "0", conv_layer "1", Upsample×2 "2", conv_layer "3", Conv2d 1×1 with
/// bias "4"); Upsample is bilinear with align_corners=False.</summary>
public sealed class CrisProjectorVis : Module
{
    public CrisProjectorVis(int inDim, Random? rng = null)
    {
        Conv1 = Add("1", new CrisConvLayer(inDim * 2, inDim * 2, 3, 1, rng));
        Conv3 = Add("3", new CrisConvLayer(inDim * 2, inDim, 3, 1, rng));
        Conv4 = Add("4", new Conv2d(inDim, inDim, 1, rng: rng));
    }

    public CrisConvLayer Conv1 { get; }
    public CrisConvLayer Conv3 { get; }
    public Conv2d Conv4 { get; }

    public Tensor Forward(Tensor x)
    {
        x = Conv1.Forward(CrisFpn.Up2(x));
        x = Conv3.Forward(CrisFpn.Up2(x));
        return CrisConv.Apply(Conv4, x);
    }
}
