using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// CRIS's neck <c>FPN(in_channels = fpn_in, out_channels = fpn_out)</c> (keys <c>neck.*</c>), fusing the sentence
/// feature into the visual pyramid: f5 = norm_layer(f1_v_proj(v5) · txt_proj(state)) (stride 32);
/// f4 = f2_cat([f2_v_proj(v4), up2(f5)]); f3 = f3_cat([avgpool2(f3_v_proj(v3)), f4]) (both stride 16);
/// fq = aggr([f4_proj3(f3), f4_proj4(f4), up2(f4_proj5(f5))]) → coordconv → [B, fpn_out[1], H/16, W/16].
/// up2 = bilinear ×2, align_corners=False.
/// </summary>
public sealed class CrisFpn : Module
{
    public CrisFpn(int[] inCh, int[] outCh, Random? rng = null)
    {
        TxtProj = Add("txt_proj", new CrisLinearLayer(inCh[2], outCh[2], rng));
        F1VProj = Add("f1_v_proj", new CrisConvLayer(inCh[2], outCh[2], 1, 0, rng));
        NormLayer = Add("norm_layer", new CrisNormRelu(outCh[2]));
        F2VProj = Add("f2_v_proj", new CrisConvLayer(inCh[1], outCh[1], 3, 1, rng));
        F2Cat = Add("f2_cat", new CrisConvLayer(outCh[2] + outCh[1], outCh[1], 1, 0, rng));
        F3VProj = Add("f3_v_proj", new CrisConvLayer(inCh[0], outCh[0], 3, 1, rng));
        F3Cat = Add("f3_cat", new CrisConvLayer(outCh[0] + outCh[1], outCh[1], 1, 0, rng));
        F4Proj5 = Add("f4_proj5", new CrisConvLayer(outCh[2], outCh[1], 3, 1, rng));
        F4Proj4 = Add("f4_proj4", new CrisConvLayer(outCh[1], outCh[1], 3, 1, rng));
        F4Proj3 = Add("f4_proj3", new CrisConvLayer(outCh[1], outCh[1], 3, 1, rng));
        Aggr = Add("aggr", new CrisConvLayer(3 * outCh[1], outCh[1], 1, 0, rng));
        CoordConv = Add("coordconv", new CrisCoordConvStack(outCh[1], rng));
    }

    public CrisLinearLayer TxtProj { get; }
    public CrisConvLayer F1VProj { get; }
    public CrisNormRelu NormLayer { get; }
    public CrisConvLayer F2VProj { get; }
    public CrisConvLayer F2Cat { get; }
    public CrisConvLayer F3VProj { get; }
    public CrisConvLayer F3Cat { get; }
    public CrisConvLayer F4Proj5 { get; }
    public CrisConvLayer F4Proj4 { get; }
    public CrisConvLayer F4Proj3 { get; }
    public CrisConvLayer Aggr { get; }
    public CrisCoordConvStack CoordConv { get; }

    /// <param name="sink">records txt_proj, f5, f4, f3, aggr, out.</param>
    public Tensor Forward(Tensor v3, Tensor v4, Tensor v5, Tensor state, IntermediateSink? sink = null)
    {
        var s = TxtProj.Forward(state);                                        // [B, o2]
        sink?.Add("txt_proj", s);
        var f5 = NormLayer.Forward(Ops.Mul(F1VProj.Forward(v5), s.Unsqueeze(-1).Unsqueeze(-1)));
        sink?.Add("f5", f5);
        var f4 = F2Cat.Forward(Ops.Cat(new[] { F2VProj.Forward(v4), Up2(f5) }, 1));
        sink?.Add("f4", f4);
        var p3 = F3VProj.Forward(v3);
        var f3 = F3Cat.Forward(Ops.Cat(new[] { Ops.AvgPool2d(p3, (2, 2), (2, 2), (0, 0)), f4 }, 1));
        sink?.Add("f3", f3);
        var fq = Aggr.Forward(Ops.Cat(new[] { F4Proj3.Forward(f3), F4Proj4.Forward(f4), Up2(F4Proj5.Forward(f5)) }, 1));
        sink?.Add("aggr", fq);
        var output = CoordConv.Forward(fq);
        sink?.Add("out", output);
        return output;
    }

    /// <summary>F.interpolate(scale_factor=2, mode='bilinear', align_corners=False).</summary>
    public static Tensor Up2(Tensor x) => Ops.Interpolate(x, x.Shape[2] * 2, x.Shape[3] * 2, InterpolationMode.Bilinear, alignCorners: false);
}
