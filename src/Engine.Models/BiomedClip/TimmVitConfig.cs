namespace Engine.Models.BiomedClip;

/// <summary>
/// Hyper-parameters of a timm <c>VisionTransformer</c> in the <c>vit_base_patch16_224</c> layout (class token,
/// absolute position table with a class row, pre-norm blocks, final norm, token pooling). Only the numbers a
/// checkpoint's shapes cannot tell (heads, eps) need a name or an arch file; see <see cref="BiomedClipConfig"/>.
/// </summary>
public sealed record TimmVitConfig
{
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 16;
    public int InChannels { get; init; } = 3;
    public int Width { get; init; } = 768;
    public int Depth { get; init; } = 12;
    public int Heads { get; init; } = 12;
    public int MlpHidden { get; init; } = 3072;
    public float LayerNormEps { get; init; } = 1e-6f;

    public int Grid => ImageSize / PatchSize;
    public int Tokens => Grid * Grid + 1;
    public int HeadDim => Width / Heads;

    public void Validate(string source = "vision config")
    {
        if (ImageSize <= 0 || PatchSize <= 0 || ImageSize % PatchSize != 0)
            throw new InvalidDataException($"{source}: image_size {ImageSize} must be a positive multiple of patch_size {PatchSize}.");
        if (Width <= 0 || Depth <= 0 || Heads <= 0 || MlpHidden <= 0 || InChannels <= 0)
            throw new InvalidDataException($"{source}: width {Width}, depth {Depth}, heads {Heads}, mlp {MlpHidden}, channels {InChannels} must all be positive.");
        if (Width % Heads != 0) throw new InvalidDataException($"{source}: width {Width} is not a multiple of heads {Heads}.");
    }

    /// <summary>timm's standard ViT sizes by model name (e.g. <c>vit_base_patch16_224</c>), or null when the name
    /// is not one of them.</summary>
    public static TimmVitConfig? FromTimmName(string name)
    {
        var m = System.Text.RegularExpressions.Regex.Match(name, @"^vit_(tiny|small|medium|base|large|huge)_patch(\d+)_(\d+)");
        if (!m.Success) return null;
        var (w, d, h) = m.Groups[1].Value switch
        {
            "tiny" => (192, 12, 3),
            "small" => (384, 12, 6),
            "medium" => (512, 12, 8),
            "base" => (768, 12, 12),
            "large" => (1024, 24, 16),
            _ => (1280, 32, 16),
        };
        return new TimmVitConfig
        {
            PatchSize = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture),
            ImageSize = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture),
            Width = w, Depth = d, Heads = h, MlpHidden = 4 * w,
        };
    }
}
