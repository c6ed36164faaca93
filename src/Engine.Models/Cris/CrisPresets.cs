namespace Engine.Models.Cris;

/// <summary>
/// Named CRIS architectures for <c>engine init</c>, tests and benchmarks: "rn50" = CRIS-R50 (config/refcoco/cris_r50.yaml
/// on CLIP RN50), "rn101" = CRIS-R101 (CLIP RN101: embed 512, fpn_in [512, 1024, 512], word_dim 512), "tiny" = the
/// golden case's sizes (ResNet width 4, layers [1, 2, 1, 1], text 2×64) with a 77-position text table, for tests.
/// </summary>
public static class CrisPresets
{
    public static readonly string[] Names = { "tiny", "rn50", "rn101" };

    /// <summary>The head config and CLIP sizes of a preset; <paramref name="vocabSize"/> sizes the token table.</summary>
    public static (CrisConfig config, CrisClipArchitecture clip) Get(string name, int vocabSize = 49408) => name.ToLowerInvariant() switch
    {
        "tiny" => (new CrisConfig
        {
            InputSize = 64, WordLen = 17, WordDim = 64, VisDim = 64, FpnIn = new[] { 32, 64, 64 }, FpnOut = new[] { 16, 64, 32 },
            NumLayers = 2, NumHead = 4, DimFfn = 64, Dropout = 0f, ClipPretrain = "none (random tiny backbone)", Source = "preset tiny",
        }, new CrisClipArchitecture
        {
            VisionLayers = new[] { 1, 2, 1, 1 }, VisionWidth = 4, PoolGrid = 3, EmbedDim = 64,
            ContextLength = 77, VocabSize = vocabSize, TextWidth = 64, TextLayers = 2,
        }),
        "rn50" => (ForBackbone(CrisClipArchitecture.RN50 with { VocabSize = vocabSize }, "pretrain/RN50.pt"), CrisClipArchitecture.RN50 with { VocabSize = vocabSize }),
        "rn101" => (ForBackbone(CrisClipArchitecture.RN101 with { VocabSize = vocabSize }, "pretrain/RN101.pt"), CrisClipArchitecture.RN101 with { VocabSize = vocabSize }),
        _ => throw new ArgumentException($"Unknown CRIS preset '{name}'; known: {string.Join(", ", Names)}."),
    };

    /// <summary>
    /// CRIS's released head config for a CLIP ResNet backbone (cris_r50.yaml / cris_r101.yaml): input 416, word_len 17,
    /// word_dim = fpn_in[2] = embed dim, fpn_in[0..1] = layer2/layer3 channels, vis_dim = text width (512),
    /// fpn_out [256, vis_dim, 1024], 3 decoder layers, 8 heads, FFN 2048, dropout 0.1.
    /// </summary>
    public static CrisConfig ForBackbone(CrisClipArchitecture clip, string? clipPretrain = null) => new()
    {
        InputSize = 416, WordLen = 17, WordDim = clip.EmbedDim, VisDim = clip.TextWidth,
        FpnIn = new[] { clip.Layer2Channels, clip.Layer3Channels, clip.EmbedDim }, FpnOut = new[] { 256, clip.TextWidth, 1024 },
        NumLayers = 3, NumHead = 8, DimFfn = 2048, Dropout = 0.1f, ClipPretrain = clipPretrain, Source = "CRIS defaults",
    };

    /// <summary>A randomly initialised model of a preset (CLIP's init scheme for the backbone, torch defaults elsewhere).</summary>
    public static CrisModel Create(string name, int seed = 0, int vocabSize = 49408)
    {
        var (config, clip) = Get(name, vocabSize);
        var rng = new Random(seed);
        var model = new CrisModel(config, clip, rng);
        CrisInitialization.ApplyClipScheme(model.Backbone, rng);
        model.SetRequiresGrad(true);
        model.Eval();
        return model;
    }
}
