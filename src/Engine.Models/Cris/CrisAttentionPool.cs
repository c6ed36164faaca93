using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// CRIS's attention pool (keys <c>backbone.visual.attnpool.*</c>), unlike CLIP's it keeps the spatial map: tokens are
/// the h·w positions of layer4 (no mean token), plus the checkpoint's position table without row 0, bicubically resized
/// from g×g to h×w; multi-head self-attention with separate q/k/v projections and output projection c_proj (E → D);
/// back to [B, D, h, w]; plus <c>connect</c> (1×1 conv E → D + BN) of the input; ReLU.
/// </summary>
public sealed class CrisAttentionPool : Module
{
    public CrisAttentionPool(int grid, int embedDim, int heads, int outputDim, Random? rng = null)
    {
        if (embedDim % heads != 0) throw new ArgumentException($"Attention-pool width {embedDim} is not divisible by {heads} heads.");
        Grid = grid; EmbedDim = embedDim; Heads = heads; OutputDim = outputDim;
        rng ??= new Random(0);
        var pos = Tensor.Randn(rng, grid * grid + 1, embedDim);
        var s = pos.AsSpan();
        float scale = 1f / MathF.Sqrt(embedDim);
        for (int i = 0; i < s.Length; i++) s[i] *= scale;
        PositionalEmbedding = AddParameter("positional_embedding", pos);
        KProj = Add("k_proj", new Linear(embedDim, embedDim, rng: rng));
        QProj = Add("q_proj", new Linear(embedDim, embedDim, rng: rng));
        VProj = Add("v_proj", new Linear(embedDim, embedDim, rng: rng));
        CProj = Add("c_proj", new Linear(embedDim, outputDim, rng: rng));
        Connect = Add("connect", new CrisDownsample(embedDim, outputDim, 1, rng));
    }

    public int Grid { get; }
    public int EmbedDim { get; }
    public int Heads { get; }
    public int OutputDim { get; }
    public Parameter PositionalEmbedding { get; }
    public Linear KProj { get; }
    public Linear QProj { get; }
    public Linear VProj { get; }
    public Linear CProj { get; }
    /// <summary>Sequential("0" 1×1 conv without bias, "1" BN) — the same shape as a stride-1 shortcut.</summary>
    public CrisDownsample Connect { get; }

    /// <summary>The position table for an h×w map: rows 1.. as a g×g grid, bicubic (align_corners=False, a = −0.75)
    /// to h×w, as [h·w, E] in row-major position order.</summary>
    public Tensor PositionTable(int h, int w)
    {
        int g = Grid, e = EmbedDim;
        var grid = PositionalEmbedding.Value.Narrow(0, 1, g * g);                 // [g*g, E]
        if (g == h && g == w) return grid;                                          // bicubic to the same size is the identity
        var planes = grid.Transpose(0, 1).Reshape(1, e, g, g);                      // [1, E, g, g]
        var resized = Ops.Interpolate(planes, h, w, InterpolationMode.Bicubic, alignCorners: false);
        return resized.Reshape(e, h * w).Transpose(0, 1);                           // [h*w, E]
    }

    /// <param name="x">layer4 output [B, E, h, w].</param>
    public Tensor Forward(Tensor x)
    {
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (c != EmbedDim) throw new ArgumentException($"Attention pool expects {EmbedDim} channels, got {Shape.Format(x.Shape)}.");
        var res = Connect.Forward(x);
        int n = h * w, hd = EmbedDim / Heads;
        var tokens = Ops.Add(x.Reshape(b, c, n).Transpose(1, 2), PositionTable(h, w)); // [B, n, E]
        var q = QProj.Forward(tokens).Reshape(b, n, Heads, hd).Transpose(1, 2);
        var k = KProj.Forward(tokens).Reshape(b, n, Heads, hd).Transpose(1, 2);
        var v = VProj.Forward(tokens).Reshape(b, n, Heads, hd).Transpose(1, 2);
        var o = Ops.ScaledDotProductAttention(q, k, v, scale: 1f / MathF.Sqrt(hd));      // [B, H, n, hd]
        o = CProj.Forward(o.Transpose(1, 2).Reshape(b, n, EmbedDim));                    // [B, n, D]
        var map = o.Transpose(1, 2).Reshape(b, OutputDim, h, w);
        return Ops.Relu(Ops.Add(map, res));
    }
}
