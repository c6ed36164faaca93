using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// CLIP's ModifiedResNet as CRIS uses it (keys <c>backbone.visual.*</c>): 3-conv stem (conv1 3×3 s2, conv2, conv3, each
/// with BN + ReLU) and AvgPool2d(2) → stride 4; four Bottleneck stages (planes w, 2w, 4w, 8w; strides 1, 2, 2, 2);
/// CRIS's spatial attention pool on layer4. Returns (layer2, layer3, attnpool) = (v3, v4, v5).
/// </summary>
public sealed class CrisModifiedResNet : Module
{
    public CrisModifiedResNet(CrisClipArchitecture arch, Random? rng = null)
    {
        Arch = arch;
        int w = arch.VisionWidth;
        Conv1 = Add("conv1", new Conv2d(3, w / 2, 3, stride: 2, padding: 1, bias: false, rng: rng));
        Bn1 = Add("bn1", new BatchNorm2d(w / 2));
        Conv2 = Add("conv2", new Conv2d(w / 2, w / 2, 3, padding: 1, bias: false, rng: rng));
        Bn2 = Add("bn2", new BatchNorm2d(w / 2));
        Conv3 = Add("conv3", new Conv2d(w / 2, w, 3, padding: 1, bias: false, rng: rng));
        Bn3 = Add("bn3", new BatchNorm2d(w));
        int inplanes = w;
        var stages = new ModuleList<CrisBottleneck>[4];
        for (int s = 0; s < 4; s++)
        {
            int planes = w << s, stride = s == 0 ? 1 : 2;
            var blocks = new List<CrisBottleneck>();
            for (int b = 0; b < arch.VisionLayers[s]; b++)
            {
                blocks.Add(new CrisBottleneck(inplanes, planes, b == 0 ? stride : 1, rng));
                inplanes = planes * CrisBottleneck.Expansion;
            }
            stages[s] = Add($"layer{s + 1}", new ModuleList<CrisBottleneck>(blocks));
        }
        Layers = stages;
        AttnPool = Add("attnpool", new CrisAttentionPool(arch.PoolGrid, arch.PoolEmbedDim, arch.VisionHeads, arch.EmbedDim, rng));
    }

    public CrisClipArchitecture Arch { get; }
    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public Conv2d Conv3 { get; }
    public BatchNorm2d Bn3 { get; }
    public IReadOnlyList<ModuleList<CrisBottleneck>> Layers { get; }
    public CrisAttentionPool AttnPool { get; }

    /// <param name="x">[B, 3, H, W] with H and W multiples of 32.</param>
    /// <param name="sink">records stem, layer1..4, attnpool.</param>
    public (Tensor V3, Tensor V4, Tensor V5) Forward(Tensor x, IntermediateSink? sink = null)
    {
        if (x.Rank != 4 || x.Shape[1] != 3) throw new ArgumentException($"CRIS images must be [B, 3, H, W] (found {Shape.Format(x.Shape)}).");
        if (x.Shape[2] % 32 != 0 || x.Shape[3] % 32 != 0)
            throw new ArgumentException($"CRIS images must have sides divisible by 32 (found {x.Shape[2]}x{x.Shape[3]}); CRIS's input_size is 416.");
        using (var stem = TensorScope.Begin())
        {
            x = Ops.Relu(Bn1.Forward(CrisConv.Apply(Conv1, x)));
            x = Ops.Relu(Bn2.Forward(CrisConv.Apply(Conv2, x)));
            x = Ops.Relu(Bn3.Forward(CrisConv.Apply(Conv3, x)));
            x = stem.Keep(Ops.AvgPool2d(x, (2, 2), (2, 2), (0, 0)));
        }
        sink?.Add("stem", x);
        var outs = new Tensor[4];
        for (int s = 0; s < 4; s++)
        {
            foreach (var block in Layers[s]) x = block.Forward(x);
            outs[s] = x;
            sink?.Add($"layer{s + 1}", x);
        }
        var v5 = AttnPool.Forward(outs[3]);
        sink?.Add("attnpool", v5);
        return (outs[1], outs[2], v5);
    }
}
