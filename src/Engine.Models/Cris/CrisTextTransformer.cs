using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>OpenAI CLIP's <c>Transformer</c> (key <c>resblocks.N.*</c>).</summary>
public sealed class CrisTextTransformer : Module
{
    public CrisTextTransformer(int width, int layers, int heads, Random? rng = null)
    {
        Width = width;
        Resblocks = Add("resblocks", new ModuleList<CrisResidualAttentionBlock>(Enumerable.Range(0, layers).Select(_ => new CrisResidualAttentionBlock(width, heads, rng))));
    }

    public int Width { get; }
    public ModuleList<CrisResidualAttentionBlock> Resblocks { get; }

    public Tensor Forward(Tensor x, Tensor causalMask)
    {
        foreach (var block in Resblocks) x = block.Forward(x, causalMask);
        return x;
    }
}
