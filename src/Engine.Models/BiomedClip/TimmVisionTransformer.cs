using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>What the trunk computed. Intermediates are filled only when asked (see <see cref="TimmVisionTransformer.Forward"/>).</summary>
public sealed record TimmVitOutput(
    Tensor? Pooled,
    Tensor? Normed,
    IReadOnlyList<Tensor> BlockOutputs,
    Tensor? PatchTokens,
    Tensor? EmbedWithPos);

/// <summary>
/// timm <c>VisionTransformer</c> as BiomedCLIP's trunk (keys <c>cls_token</c>, <c>pos_embed</c>,
/// <c>patch_embed.proj.*</c>, <c>blocks.N.*</c>, <c>norm.*</c>): patch conv, class token prepended, then the
/// position table (which has a class row) added; pre-norm blocks; final LayerNorm over all tokens; class-token
/// pooling (<c>global_pool='token'</c>), no fc_norm, no head.
/// </summary>
public sealed class TimmVisionTransformer : Module
{
    public TimmVisionTransformer(TimmVitConfig cfg, Random rng)
    {
        cfg.Validate();
        Config = cfg;
        // timm init: cls_token N(0, 1e-6), pos_embed N(0, .02) (trunc normal); only matters for fresh models.
        ClsToken = AddParameter("cls_token", Ops.Mul(Tensor.Randn(rng, 1, 1, cfg.Width), 1e-6f).Detach());
        PosEmbed = AddParameter("pos_embed", Ops.Mul(Tensor.Randn(rng, 1, cfg.Tokens, cfg.Width), 0.02f).Detach());
        PatchEmbed = Add("patch_embed", new TimmPatchEmbed(cfg, rng));
        Blocks = Add("blocks", new ModuleList<TimmBlock>(Enumerable.Range(0, cfg.Depth).Select(_ => new TimmBlock(cfg, rng))));
        Norm = Add("norm", new LayerNorm(cfg.Width, cfg.LayerNormEps));
    }

    public TimmVitConfig Config { get; }
    public Parameter ClsToken { get; }
    public Parameter PosEmbed { get; }
    public TimmPatchEmbed PatchEmbed { get; }
    public ModuleList<TimmBlock> Blocks { get; }
    public LayerNorm Norm { get; }

    /// <summary>Patch tokens with the class token in front and the position table added: [B, 1+g*g, width].</summary>
    public Tensor Embed(Tensor pixels, out Tensor patchTokens)
    {
        CheckPixels(pixels);
        patchTokens = PatchEmbed.Forward(pixels.To(ClsToken.Value.Device));
        int b = patchTokens.Shape[0];
        var cls = ClsToken.Value.Expand(b, 1, Config.Width);
        return Ops.Add(Ops.Cat(new[] { cls, patchTokens }, 1), PosEmbed.Value);
    }

    /// <param name="pixels">[B, 3, S, S] normalised, S = the configured image size.</param>
    /// <param name="keepIntermediates">keep the patch tokens, the embedded tokens and every block output.</param>
    /// <param name="lastBlock">stop after this block (0-based) and skip the final norm/pooling; -1 runs everything.
    /// Used by segmentation heads that read only early blocks.</param>
    public TimmVitOutput Forward(Tensor pixels, bool keepIntermediates = false, int lastBlock = -1)
    {
        if (lastBlock >= Config.Depth) throw new ArgumentOutOfRangeException(nameof(lastBlock), $"Block {lastBlock} does not exist; the trunk has {Config.Depth} blocks (0..{Config.Depth - 1}).");
        var x = Embed(pixels, out var patches);
        var embedded = x;
        var blocks = new List<Tensor>();
        int stop = lastBlock < 0 ? Config.Depth - 1 : lastBlock;
        for (int i = 0; i <= stop; i++)
        {
            x = Blocks[i].Forward(x);
            if (keepIntermediates || lastBlock >= 0) blocks.Add(x);
        }
        if (lastBlock >= 0) return new TimmVitOutput(null, null, blocks, keepIntermediates ? patches : null, keepIntermediates ? embedded : null);
        var normed = Norm.Forward(x);
        return new TimmVitOutput(normed.Select(1, 0), normed, blocks, keepIntermediates ? patches : null, keepIntermediates ? embedded : null);
    }

    private void CheckPixels(Tensor pixels)
    {
        if (pixels.DType != DType.F32 || pixels.Rank != 4 || pixels.Shape[1] != Config.InChannels)
            throw new ArgumentException($"pixel_values must be float32 [batch, {Config.InChannels}, {Config.ImageSize}, {Config.ImageSize}], got {pixels.DType} {Shape.Format(pixels.Shape)}.");
        if (pixels.Shape[2] != Config.ImageSize || pixels.Shape[3] != Config.ImageSize)
            throw new ArgumentException($"pixel_values are {pixels.Shape[2]}x{pixels.Shape[3]} but this ViT takes {Config.ImageSize}x{Config.ImageSize} (timm's fixed image size; resize and crop first).");
    }
}
