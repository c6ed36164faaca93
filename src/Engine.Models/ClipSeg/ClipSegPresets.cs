using Engine.Models.Loading;

namespace Engine.Models.ClipSeg;

/// <summary>Named CLIPSeg architectures for <c>engine init</c> and benchmarks.</summary>
public static class ClipSegPresets
{
    public static readonly string[] Names = { "tiny", "rd64-refined" };

    /// <summary>The architecture and the processor input size (pixels per side) of a preset.</summary>
    public static (ClipSegConfig config, int inputSize) Get(string name, int vocabSize) => name switch
    {
        // Small enough for tests; 96x96 inputs on a 64x64 (4x4 patch) table, so position interpolation is exercised like the real model's 352 on 224.
        "tiny" => (new ClipSegConfig
        {
            Text = new ClipTextConfig { VocabSize = vocabSize, HiddenSize = 48, IntermediateSize = 96, NumHiddenLayers = 3, NumAttentionHeads = 4, MaxPositionEmbeddings = 77, BosTokenId = 0, EosTokenId = 2, PadTokenId = 1 },
            Vision = new ClipVisionConfig { HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 4, NumAttentionHeads = 4, ImageSize = 64, PatchSize = 16 },
            ProjectionDim = 32, ExtractLayers = new[] { 1, 2, 3 }, ReduceDim = 16, DecoderNumAttentionHeads = 2, DecoderIntermediateSize = 32,
            ConditionalLayer = 0, UseComplexTransposedConvolution = true,
        }, 96),
        // CIDAS/clipseg-rd64-refined: ViT-B/16 CLIP at 224 used at 352, reduce_dim 64, complex head.
        "rd64-refined" => (new ClipSegConfig
        {
            Text = new ClipTextConfig { VocabSize = vocabSize, HiddenSize = 512, IntermediateSize = 2048, NumHiddenLayers = 12, NumAttentionHeads = 8, MaxPositionEmbeddings = 77, BosTokenId = 0, EosTokenId = 2, PadTokenId = 1 },
            Vision = new ClipVisionConfig { HiddenSize = 768, IntermediateSize = 3072, NumHiddenLayers = 12, NumAttentionHeads = 12, ImageSize = 224, PatchSize = 16 },
            ProjectionDim = 512, ExtractLayers = new[] { 3, 6, 9 }, ReduceDim = 64, DecoderNumAttentionHeads = 4, DecoderIntermediateSize = 2048,
            ConditionalLayer = 0, UseComplexTransposedConvolution = true,
        }, 352),
        _ => throw new ArgumentException($"Unknown CLIPSeg preset '{name}'; known: {string.Join(", ", Names)}."),
    };

    /// <summary>A randomly initialised model of a preset (transformers' init scheme), for benchmarks and tests.</summary>
    public static ClipSegForImageSegmentation Create(string name, int seed = 0, int vocabSize = 49408)
    {
        var (config, _) = Get(name, vocabSize);
        var rng = new Random(seed);
        var model = new ClipSegForImageSegmentation(config, rng);
        Clip.ClipInitialization.Apply(model, rng, config.Vision.NumHiddenLayers);
        model.SetRequiresGrad(true);
        model.Eval();
        return model;
    }
}
