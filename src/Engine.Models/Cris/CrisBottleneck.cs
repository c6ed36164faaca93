using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// CLIP's ModifiedResNet Bottleneck (expansion 4): conv1 1×1 → bn1 → ReLU → conv2 3×3 → bn2 → ReLU → AvgPool2d(stride)
/// when stride &gt; 1 (anti-aliased downsampling; the convolutions never stride) → conv3 1×1 → bn3; shortcut =
/// identity or <c>downsample</c> (AvgPool2d(stride), 1×1 conv, BN) when the stride or the channel count changes;
/// out = ReLU(main + shortcut).
/// </summary>
public sealed class CrisBottleneck : Module
{
    public const int Expansion = 4;

    public CrisBottleneck(int inplanes, int planes, int stride, Random? rng = null)
    {
        Stride = stride;
        Conv1 = Add("conv1", new Conv2d(inplanes, planes, 1, bias: false, rng: rng));
        Bn1 = Add("bn1", new BatchNorm2d(planes));
        Conv2 = Add("conv2", new Conv2d(planes, planes, 3, padding: 1, bias: false, rng: rng));
        Bn2 = Add("bn2", new BatchNorm2d(planes));
        Conv3 = Add("conv3", new Conv2d(planes, planes * Expansion, 1, bias: false, rng: rng));
        Bn3 = Add("bn3", new BatchNorm2d(planes * Expansion));
        if (stride > 1 || inplanes != planes * Expansion)
            Downsample = Add("downsample", new CrisDownsample(inplanes, planes * Expansion, stride, rng));
    }

    public int Stride { get; }
    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public Conv2d Conv3 { get; }
    public BatchNorm2d Bn3 { get; }
    public CrisDownsample? Downsample { get; }

    public Tensor Forward(Tensor x)
    {
        // Inference: the block's temporaries go back to the buffer pool when it returns (no-op while recording), so
        // large feature maps reuse warm memory instead of fresh pages from the GC.
        using var scope = TensorScope.Begin();
        var o = Ops.Relu(Bn1.Forward(CrisConv.Apply(Conv1, x)));
        o = Ops.Relu(Bn2.Forward(CrisConv.Apply(Conv2, o)));
        if (Stride > 1) o = Ops.AvgPool2d(o, (Stride, Stride), (Stride, Stride), (0, 0));
        o = Bn3.Forward(CrisConv.Apply(Conv3, o));
        var identity = Downsample is null ? x : Downsample.Forward(x);
        return scope.Keep(Ops.Relu(Ops.Add(o, identity)));
    }
}
