using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// CRIS's TransformerDecoder (keys <c>decoder.layers.i.*</c>, <c>decoder.norm.*</c>): visual tokens [B,C,h,w] →
/// [h·w tokens], 2-D sine positions for them and 1-D ones for the words (rebuilt from the shapes, no parameters), the
/// layers, then the final LayerNorm; returns [B, C, h, w].
/// </summary>
public sealed class CrisTransformerDecoder : Module
{
    public CrisTransformerDecoder(int numLayers, int dModel, int heads, int dimFfn, float dropout, Random? rng = null)
    {
        DModel = dModel;
        Layers = Add("layers", new ModuleList<CrisDecoderLayer>(Enumerable.Range(0, numLayers).Select(_ => new CrisDecoderLayer(dModel, heads, dimFfn, dropout, rng))));
        Norm = Add("norm", new LayerNorm(dModel));
    }

    public int DModel { get; }
    public ModuleList<CrisDecoderLayer> Layers { get; }
    public LayerNorm Norm { get; }

    /// <param name="vis">[B, C, h, w]</param>
    /// <param name="words">[B, L, C]</param>
    /// <param name="padMask">Bool/integer [B, L], true/non-zero = padding (ignored as a key), or null.</param>
    /// <param name="sink">records layer{i} (sequence-first [h·w, B, C], before the final norm) and out ([B, C, h·w]).</param>
    public Tensor Forward(Tensor vis, Tensor words, Tensor? padMask, IntermediateSink? sink = null)
    {
        int b = vis.Shape[0], c = vis.Shape[1], h = vis.Shape[2], w = vis.Shape[3], l = words.Shape[1];
        if (c != DModel || words.Shape[2] != DModel)
            throw new ArgumentException($"Decoder d_model {DModel}: visual {Shape.Format(vis.Shape)} and word features {Shape.Format(words.Shape)} must both have {DModel} channels.");
        var device = vis.Device;
        var visPos = Tensor.FromArray(CrisSinePositions.Table2d(c, h, w), 1, h * w, c).To(device);
        var txtPos = Tensor.FromArray(CrisSinePositions.Table1d(words.Shape[2], l), 1, l, words.Shape[2]).To(device);
        Tensor? keyPadding = null;
        if (padMask != null)
        {
            if (padMask.Rank != 2 || padMask.Shape[0] != b || padMask.Shape[1] != l)
                throw new ArgumentException($"pad_mask {Shape.Format(padMask.Shape)} must be [{b}, {l}] like word_ids.");
            var pm = padMask.ToInt64Array();
            var add = new float[pm.Length];
            for (int i = 0; i < pm.Length; i++) add[i] = pm[i] != 0 ? float.NegativeInfinity : 0f;
            keyPadding = Tensor.FromArray(add, b, 1, 1, l).To(device);
        }
        var x = vis.Reshape(b, c, h * w).Transpose(1, 2);   // [B, N, C]
        for (int i = 0; i < Layers.Count; i++)
        {
            x = Layers[i].Forward(x, words, visPos, txtPos, keyPadding);
            sink?.Add($"layer{i}", x.Transpose(0, 1));      // CRIS's sequence-first [N, B, C]
        }
        var outTokens = Norm.Forward(x).Transpose(1, 2);     // [B, C, N]
        sink?.Add("out", outTokens);
        return outTokens.Reshape(b, c, h, w);
    }
}
