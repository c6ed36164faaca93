using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// CRIS's TransformerDecoderLayer (keys <c>decoder.layers.i.*</c>), pre-norm, batch-first here:
/// v += self_attn_norm(self_attn(q = k = norm1(v) + vis_pos, value = norm1(v)));
/// v += cross_attn_norm(multihead_attn(q = norm2(v) + vis_pos, k = words + txt_pos, value = words, key padding mask));
/// v += ffn(norm3(v)). Dropout after each branch (training only).
/// </summary>
public sealed class CrisDecoderLayer : Module
{
    public CrisDecoderLayer(int dModel, int heads, int dimFfn, float dropout, Random? rng = null)
    {
        DropoutP = dropout;
        SelfAttnNorm = Add("self_attn_norm", new LayerNorm(dModel));
        CrossAttnNorm = Add("cross_attn_norm", new LayerNorm(dModel));
        SelfAttn = Add("self_attn", new CrisMultiheadAttention(dModel, heads, dropout, rng));
        MultiheadAttn = Add("multihead_attn", new CrisMultiheadAttention(dModel, heads, dropout, rng));
        Ffn = Add("ffn", new CrisFfn(dModel, dimFfn, dropout, rng));
        Norm1 = Add("norm1", new LayerNorm(dModel));
        Norm2 = Add("norm2", new LayerNorm(dModel));
        Norm3 = Add("norm3", new LayerNorm(dModel));
        _rng = new Random((rng ?? new Random(0)).Next());
    }

    private readonly Random _rng;

    public float DropoutP { get; }
    public LayerNorm SelfAttnNorm { get; }
    public LayerNorm CrossAttnNorm { get; }
    public CrisMultiheadAttention SelfAttn { get; }
    public CrisMultiheadAttention MultiheadAttn { get; }
    public CrisFfn Ffn { get; }
    public LayerNorm Norm1 { get; }
    public LayerNorm Norm2 { get; }
    public LayerNorm Norm3 { get; }

    /// <param name="vis">[B, N, C] visual tokens.</param>
    /// <param name="words">[B, L, C] word features.</param>
    /// <param name="visPos">[1, N, C]</param>
    /// <param name="txtPos">[1, L, C]</param>
    /// <param name="keyPadding">[B, 1, 1, L] additive (−inf at padding) or null.</param>
    public Tensor Forward(Tensor vis, Tensor words, Tensor visPos, Tensor txtPos, Tensor? keyPadding)
    {
        var v2 = Norm1.Forward(vis);
        var qk = Ops.Add(v2, visPos);
        v2 = SelfAttn.Forward(qk, qk, v2);
        vis = Ops.Add(vis, Drop(SelfAttnNorm.Forward(v2)));
        v2 = Norm2.Forward(vis);
        v2 = MultiheadAttn.Forward(Ops.Add(v2, visPos), Ops.Add(words, txtPos), words, keyPadding);
        vis = Ops.Add(vis, Drop(CrossAttnNorm.Forward(v2)));
        v2 = Norm3.Forward(vis);
        return Ops.Add(vis, Drop(Ffn.Forward(v2)));
    }

    private Tensor Drop(Tensor x) => Ops.Dropout(x, DropoutP, Training, _rng);
}
