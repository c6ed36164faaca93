using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>Everything one BiomedCLIP forward produces (open_clip <c>CustomTextCLIP</c> semantics).</summary>
public sealed record BiomedClipOutput(
    Tensor ImageFeatures,
    Tensor TextFeatures,
    Tensor ImageFeaturesNormalized,
    Tensor TextFeaturesNormalized,
    Tensor LogitScaleExp,
    Tensor LogitsPerImage,
    Tensor LogitsPerText);

/// <summary>
/// BiomedCLIP in the open_clip layout (<c>CustomTextCLIP</c>): keys <c>visual.*</c> (timm ViT trunk + linear head),
/// <c>text.*</c> (BERT + MLP projection) and the 0-d <c>logit_scale</c>. No logit_bias.
/// </summary>
public sealed class BiomedClipModel : Module
{
    public BiomedClipModel(BiomedClipConfig config, int seed = 0)
    {
        config.Validate();
        Config = config;
        var rng = new Random(seed);
        Visual = Add("visual", new TimmImageTower(config.Vision, config.EmbedDim, rng));
        Text = Add("text", new HfTextTower(config.Text, config.EmbedDim, rng, seed + 1));
        LogitScale = AddParameter("logit_scale", Tensor.FromArray(new[] { config.LogitScaleInit }, Array.Empty<int>()));
    }

    public BiomedClipConfig Config { get; }
    public TimmImageTower Visual { get; }
    public HfTextTower Text { get; }
    public Parameter LogitScale { get; }

    public Device Device => LogitScale.Value.Device;

    /// <summary>Image features [B, E] (normalised when asked), open_clip <c>encode_image</c>.</summary>
    public Tensor EncodeImage(Tensor pixels, bool normalize = false)
    {
        var f = Visual.Forward(pixels);
        return normalize ? Ops.L2Normalize(f, -1) : f;
    }

    /// <summary>Text features [B, E] (normalised when asked), open_clip <c>encode_text</c>; ids padded with [PAD].</summary>
    public Tensor EncodeText(Tensor inputIds, bool normalize = false)
    {
        var f = Text.Forward(inputIds).Features;
        return normalize ? Ops.L2Normalize(f, -1) : f;
    }

    public BiomedClipOutput Forward(Tensor pixels, Tensor inputIds)
    {
        var img = EncodeImage(pixels);
        var txt = EncodeText(inputIds);
        return Combine(img, txt);
    }

    /// <summary>Normalises both feature sets and forms the scaled cosine logits [#images, #texts] and their transpose.</summary>
    public BiomedClipOutput Combine(Tensor imageFeatures, Tensor textFeatures)
    {
        var imgN = Ops.L2Normalize(imageFeatures, -1);
        var txtN = Ops.L2Normalize(textFeatures, -1);
        var scale = Ops.Exp(LogitScale.Value);
        var perImage = Ops.Mul(Ops.MatMul(imgN, txtN, transB: true), scale);
        return new BiomedClipOutput(imageFeatures, textFeatures, imgN, txtN, scale, perImage, perImage.Transpose(0, 1));
    }

    /// <summary>open_clip <c>ClipLoss</c> (single process): ½·(CE(logits, arange N) + CE(logitsᵀ, arange N)), mean
    /// reduction; image i pairs with text i.</summary>
    public static Tensor ContrastiveLoss(Tensor logitsPerImage, Tensor logitsPerText)
    {
        int n = logitsPerImage.Shape[0];
        if (logitsPerImage.Rank != 2 || logitsPerImage.Shape[1] != n)
            throw new ArgumentException($"The contrastive loss needs square logits (N images with N texts), got {Shape.Format(logitsPerImage.Shape)}.");
        var labels = new long[n];
        for (int i = 0; i < n; i++) labels[i] = i;
        var target = Tensor.FromArray(labels, n).To(logitsPerImage.Device);
        return Ops.Mul(Ops.Add(Ops.CrossEntropy(logitsPerImage, target), Ops.CrossEntropy(logitsPerText, target)), 0.5f);
    }
}
