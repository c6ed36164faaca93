using System.Globalization;

namespace Engine.Models.Cris;

/// <summary>
/// Sizes of CRIS's CLIP backbone (ModifiedResNet + text transformer). CRIS does not store them: its
/// <c>model.clip.build_model</c> infers every size from the CLIP state dict's tensor shapes, and so does
/// <see cref="FromStateDict"/> (same rules: stage depths from the block indices, width from layer1.0.conv1, attention-pool
/// grid from its position table, heads = width·32/64 and text width/64).
/// </summary>
public sealed record CrisClipArchitecture
{
    /// <summary>Bottleneck blocks per stage (RN50 [3, 4, 6, 3], RN101 [3, 4, 23, 3]).</summary>
    public int[] VisionLayers { get; init; } = { 3, 4, 6, 3 };
    /// <summary>ResNet width w (64): stem w/2, w/2, w; stage planes w, 2w, 4w, 8w; outputs 4w .. 32w.</summary>
    public int VisionWidth { get; init; } = 64;
    /// <summary>Side of the attention pool's position grid g (image_resolution/32; 7 for RN50 at 224).</summary>
    public int PoolGrid { get; init; } = 7;
    /// <summary>CLIP embed dim D (text_projection columns; attention-pool output): RN50 1024, RN101 512.</summary>
    public int EmbedDim { get; init; } = 1024;
    public int ContextLength { get; init; } = 77;
    public int VocabSize { get; init; } = 49408;
    public int TextWidth { get; init; } = 512;
    public int TextLayers { get; init; } = 12;

    /// <summary>Attention-pool heads, CLIP's rule: width·32/64.</summary>
    public int VisionHeads => VisionWidth * 32 / 64;
    /// <summary>Text heads, CLIP's rule: width/64 (at least 1).</summary>
    public int TextHeads => Math.Max(1, TextWidth / 64);
    /// <summary>Attention-pool embed dim E = 32w (layer4 channels).</summary>
    public int PoolEmbedDim => VisionWidth * 32;
    public int Layer2Channels => VisionWidth * 8;
    public int Layer3Channels => VisionWidth * 16;
    public int ImageResolution => PoolGrid * 32;

    /// <summary>OpenAI CLIP RN50 (what CRIS-R50 starts from).</summary>
    public static CrisClipArchitecture RN50 { get; } = new();

    /// <summary>OpenAI CLIP RN101.</summary>
    public static CrisClipArchitecture RN101 { get; } = new() { VisionLayers = new[] { 3, 4, 23, 3 }, EmbedDim = 512 };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ModifiedResNet layers [{string.Join(", ", VisionLayers)}] width {VisionWidth} grid {PoolGrid} embed {EmbedDim}; text {TextLayers}x{TextWidth} ({TextHeads} heads), context {ContextLength}, vocab {VocabSize}");

    /// <summary>
    /// Infers the sizes from a CLIP state dict under <paramref name="prefix"/> ("backbone." for a CRIS checkpoint, "" for
    /// a CLIP one), as CRIS's build_model does for the ResNet variants. A ViT CLIP (visual.proj) is refused: CRIS only
    /// supports the ResNet backbones.
    /// </summary>
    public static CrisClipArchitecture FromStateDict(IReadOnlyDictionary<string, Tensor> state, string prefix, string source)
    {
        Tensor Need(string key)
            => state.TryGetValue(prefix + key, out var t) ? t
                : throw new InvalidDataException($"{source} has no '{prefix + key}', so it is not a CLIP ResNet{(prefix.Length > 0 ? " CRIS" : "")} checkpoint.");
        if (state.ContainsKey(prefix + "visual.proj") || state.ContainsKey(prefix + "visual.class_embedding"))
            throw new InvalidDataException($"{source} holds a CLIP ViT (visual.proj); CRIS uses the ResNet backbones (RN50, RN101) only.");
        var layers = new int[4];
        for (int b = 1; b <= 4; b++)
        {
            var stage = prefix + $"visual.layer{b}.";
            var blocks = new HashSet<int>();
            foreach (var k in state.Keys)
            {
                if (!k.StartsWith(stage, StringComparison.Ordinal)) continue;
                var rest = k[stage.Length..];
                int dot = rest.IndexOf('.');
                if (dot > 0 && int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int i)) blocks.Add(i);
            }
            if (blocks.Count == 0) throw new InvalidDataException($"{source} has no '{stage}*' tensors.");
            if (blocks.Max() != blocks.Count - 1) throw new InvalidDataException($"{source}: the blocks of '{stage}*' are not numbered 0..{blocks.Count - 1}.");
            layers[b - 1] = blocks.Count;
        }
        int width = Need("visual.layer1.0.conv1.weight").Shape[0];
        var pos = Need("visual.attnpool.positional_embedding");
        int g = (int)Math.Round(Math.Sqrt(pos.Shape[0] - 1));
        if (pos.Rank != 2 || g * g + 1 != pos.Shape[0])
            throw new InvalidDataException($"{source}: '{prefix}visual.attnpool.positional_embedding' {Shape.Format(pos.Shape)} is not [g*g+1, E].");
        var proj = Need("text_projection");
        if (proj.Rank != 2) throw new InvalidDataException($"{source}: '{prefix}text_projection' must be [width, embed_dim] (found {Shape.Format(proj.Shape)}).");
        var posText = Need("positional_embedding");
        var tok = Need("token_embedding.weight");
        int textWidth = Need("ln_final.weight").Shape[0];
        var resblocks = new HashSet<string>(StringComparer.Ordinal);
        var rb = prefix + "transformer.resblocks.";
        foreach (var k in state.Keys)
            if (k.StartsWith(rb, StringComparison.Ordinal)) resblocks.Add(k[rb.Length..].Split('.')[0]);
        if (resblocks.Count == 0) throw new InvalidDataException($"{source} has no '{rb}*' tensors.");
        var arch = new CrisClipArchitecture
        {
            VisionLayers = layers,
            VisionWidth = width,
            PoolGrid = g,
            EmbedDim = proj.Shape[1],
            ContextLength = posText.Shape[0],
            VocabSize = tok.Shape[0],
            TextWidth = textWidth,
            TextLayers = resblocks.Count,
        };
        if (pos.Shape[1] != arch.PoolEmbedDim)
            throw new InvalidDataException($"{source}: attention-pool table width {pos.Shape[1]} does not match 32 x ResNet width {width} = {arch.PoolEmbedDim}.");
        if (width % 2 != 0) throw new InvalidDataException($"{source}: ResNet width {width} must be even (the stem halves it).");
        if (proj.Shape[0] != textWidth) throw new InvalidDataException($"{source}: text_projection {Shape.Format(proj.Shape)} does not start with the text width {textWidth}.");
        return arch;
    }
}
