using System.Text.Json.Nodes;
using Engine.Models.BiomedClip;
using Engine.Models.ClipSeg;
using Engine.Models.Loading;

namespace Engine.Models.BiomedClipSeg;

/// <summary>
/// BiomedCLIPSeg / BiomedCLIPSeg-D: BiomedCLIP's encoders (timm ViT-B/16, BiomedBERT + MLP projection) feeding a
/// CLIPSeg decoder. The FiLM condition is the projected text embedding (open_clip <c>encode_text</c>, 512-d, not
/// normalised); the decoder's activations are ViT block outputs.
/// <para><b>Which blocks (the study's off-by-one).</b> CLIPSeg's <c>extract_layers</c> k selects HF
/// <c>hidden_states[k + 1]</c>, i.e. the output of encoder layer k (0-based): [3, 6, 9] are blocks 3, 6, 9. The study's
/// BiomedCLIPSeg indexes a list of timm block outputs (which has no embeddings entry) with the same k + 1, so it reads
/// the block AFTER each of CLIPSeg's: blocks 4, 7, 10. Here <see cref="ExtractLayers"/> keeps CLIPSeg's numbers and
/// <see cref="ExtractBlockOffset"/> (default 1 = the study's choice; 0 = CLIPSeg's exact semantics) is added:
/// ViT block = extract_layers[i] + extract_block_offset.</para>
/// </summary>
public sealed record BiomedClipSegConfig
{
    public const string ModelType = "biomedclipseg";
    /// <summary>The study's choice: the block after CLIPSeg's (see the class summary).</summary>
    public const int StudyExtractBlockOffset = 1;

    public BiomedClipConfig BiomedClip { get; init; } = BiomedClipConfig.Base;
    /// <summary>CLIPSeg-convention layer indices (k selects HF hidden_states[k + 1]).</summary>
    public int[] ExtractLayers { get; init; } = { 3, 6, 9 };
    public int ExtractBlockOffset { get; init; } = StudyExtractBlockOffset;
    public int ReduceDim { get; init; } = 64;
    public int DecoderNumAttentionHeads { get; init; } = 4;
    public int DecoderIntermediateSize { get; init; } = 2048;
    public int ConditionalLayer { get; init; }
    public bool UseComplexTransposedConvolution { get; init; } = true;
    /// <summary>transformers' CLIPSeg decoder takes its LayerNorm eps from the CLIP vision config (1e-5).</summary>
    public float DecoderLayerNormEps { get; init; } = 1e-5f;
    /// <summary>Where the decoder weights came from (a CLIPSeg folder for BiomedCLIPSeg-D), informational.</summary>
    public string? DecoderSource { get; init; }

    /// <summary>0-based ViT blocks whose outputs feed the decoder, shallow to deep.</summary>
    public int[] ExtractBlocks => ExtractLayers.Select(k => k + ExtractBlockOffset).ToArray();

    public ClipSegDecoderOptions DecoderOptions => new(
        BiomedClip.Vision.Width, BiomedClip.EmbedDim, ReduceDim, ExtractLayers.Length, DecoderNumAttentionHeads, DecoderIntermediateSize,
        ConditionalLayer, UseComplexTransposedConvolution, BiomedClip.Vision.PatchSize, DecoderLayerNormEps);

    public void Validate(string source = "BiomedCLIPSeg config")
    {
        BiomedClip.Validate(source);
        int depth = BiomedClip.Vision.Depth;
        if (ExtractLayers.Length == 0) throw new InvalidDataException($"{source}: 'extract_layers' must not be empty.");
        foreach (var k in ExtractLayers)
        {
            int b = k + ExtractBlockOffset;
            if (b < 0 || b >= depth)
                throw new InvalidDataException($"{source}: extract_layers entry {k} + extract_block_offset {ExtractBlockOffset} = ViT block {b}, but the ViT has blocks 0..{depth - 1}. " +
                                               "Choose extract_layers (CLIPSeg convention) and the offset so that every block exists.");
        }
        if (ReduceDim <= 0 || DecoderNumAttentionHeads <= 0 || DecoderIntermediateSize <= 0)
            throw new InvalidDataException($"{source}: reduce_dim, decoder_num_attention_heads and decoder_intermediate_size must be positive.");
        if (ReduceDim % DecoderNumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: reduce_dim {ReduceDim} must be divisible by decoder_num_attention_heads {DecoderNumAttentionHeads}.");
        if (ConditionalLayer < 0 || ConditionalLayer >= ExtractLayers.Length)
            throw new InvalidDataException($"{source}: conditional_layer {ConditionalLayer} must index one of the {ExtractLayers.Length} decoder layers.");
        if (UseComplexTransposedConvolution && (BiomedClip.Vision.PatchSize % 4 != 0 || ReduceDim < 2))
            throw new InvalidDataException($"{source}: the complex transposed convolution needs a patch size divisible by 4 (found {BiomedClip.Vision.PatchSize}) and reduce_dim >= 2.");
    }

    public JsonObject ToJson() => new()
    {
        ["architectures"] = new JsonArray("BiomedCLIPSeg"),
        ["model_type"] = ModelType,
        ["extract_layers"] = new JsonArray(ExtractLayers.Select(x => (JsonNode)x).ToArray()),
        ["extract_block_offset"] = ExtractBlockOffset,
        ["extract_blocks_note"] = $"ViT blocks used (0-based) = extract_layers + extract_block_offset = [{string.Join(", ", ExtractBlocks)}]; offset 1 is the study's choice (CLIPSeg itself would use offset 0)",
        ["reduce_dim"] = ReduceDim,
        ["decoder_num_attention_heads"] = DecoderNumAttentionHeads,
        ["decoder_intermediate_size"] = DecoderIntermediateSize,
        ["conditional_layer"] = ConditionalLayer,
        ["use_complex_transposed_convolution"] = UseComplexTransposedConvolution,
        ["decoder_layer_norm_eps"] = DecoderLayerNormEps,
        ["decoder_source"] = DecoderSource,
        ["biomedclip"] = BiomedClip.ToJson(),
    };

    public static BiomedClipSegConfig FromJson(JsonConfig j)
    {
        var raw = j.Raw["biomedclip"] ?? throw new InvalidDataException($"{j.Source}: missing the 'biomedclip' object (encoder configuration).");
        var d = new BiomedClipSegConfig();
        var c = d with
        {
            BiomedClip = BiomedClipConfig.FromJson(raw, j.Source + ":biomedclip"),
            ExtractLayers = j.IntArray("extract_layers", d.ExtractLayers),
            ExtractBlockOffset = j.Int("extract_block_offset", d.ExtractBlockOffset),
            ReduceDim = j.Int("reduce_dim", d.ReduceDim),
            DecoderNumAttentionHeads = j.Int("decoder_num_attention_heads", d.DecoderNumAttentionHeads),
            DecoderIntermediateSize = j.Int("decoder_intermediate_size", d.DecoderIntermediateSize),
            ConditionalLayer = j.Int("conditional_layer", d.ConditionalLayer),
            UseComplexTransposedConvolution = j.Bool("use_complex_transposed_convolution", d.UseComplexTransposedConvolution),
            DecoderLayerNormEps = j.Float("decoder_layer_norm_eps", d.DecoderLayerNormEps),
            DecoderSource = j.StringOrNull("decoder_source"),
        };
        c.Validate(j.Source);
        return c;
    }
}
