using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>timm <c>Attention</c> (keys qkv, proj): one fused qkv Linear whose output splits as [q | k | v], each
/// head-major (channel = head*d + j); softmax(q k^T / sqrt(d)) v; no mask.</summary>
public sealed class TimmAttention : Module
{
    private readonly int _heads;

    public TimmAttention(int width, int heads, Random rng)
    {
        _heads = heads;
        Qkv = Add("qkv", new Linear(width, 3 * width, rng: rng));
        Proj = Add("proj", new Linear(width, width, rng: rng));
    }

    public Linear Qkv { get; }
    public Linear Proj { get; }

    public Tensor Forward(Tensor x) => Forward(x, null);

    /// <param name="residual">added to the output projection (inside its GEMM at inference).</param>
    public Tensor Forward(Tensor x, Tensor? residual)
    {
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2], d = c / _heads;
        var qkv = Qkv.Forward(x).Reshape(b, t, 3, _heads, d).Permute(2, 0, 3, 1, 4); // [3, B, H, T, d]
        var ctx = Ops.ScaledDotProductAttention(qkv.Select(0, 0), qkv.Select(0, 1), qkv.Select(0, 2), scale: 1f / MathF.Sqrt(d));
        return Proj.Forward(ctx.Permute(0, 2, 1, 3).Reshape(b, t, c), null, residual);
    }
}
