using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.ClipSeg;

/// <summary>
/// The "complex" CLIPSeg head, an nn.Sequential whose parameter-free ReLUs sit at indices 1 and 3: keys 0 = Conv2d(rd, rd,
/// 3, padding 1), 2 = ConvTranspose2d(rd, rd/2, patch/4, stride patch/4), 4 = ConvTranspose2d(rd/2, 1, patch/4, stride patch/4).
/// </summary>
public sealed class ComplexTransposedConvolution : Module
{
    public ComplexTransposedConvolution(int reduceDim, int patchSize, Random? rng = null)
    {
        int k = patchSize / 4;
        Conv = Add("0", new Conv2d(reduceDim, reduceDim, 3, padding: 1, rng: rng));
        Up1 = Add("2", new ConvTranspose2d(reduceDim, reduceDim / 2, k, stride: k, rng: rng));
        Up2 = Add("4", new ConvTranspose2d(reduceDim / 2, 1, k, stride: k, rng: rng));
    }

    public Conv2d Conv { get; }
    public ConvTranspose2d Up1 { get; }
    public ConvTranspose2d Up2 { get; }

    /// <summary>[B, rd, g, g] -> [B, 1, g*patch, g*patch]; records tconv.conv3x3_relu and tconv.up1_relu.</summary>
    public Tensor Forward(Tensor x, IntermediateSink? sink)
    {
        var a = Ops.Relu(Conv.Forward(x));
        sink?.Add("tconv.conv3x3_relu", a);
        var b = Ops.Relu(Up1.Forward(a));
        sink?.Add("tconv.up1_relu", b);
        return Up2.Forward(b);
    }
}
