using Engine.Models.Loading;

namespace Engine.Models.ClipSeg;

/// <summary>
/// Shape of a CLIPSeg decoder, independent of the encoders that feed it (so BiomedCLIPSeg can reuse the decoder with a
/// BiomedCLIP ViT and a BERT condition).
/// </summary>
/// <param name="ActivationDim">width of each vision activation (vision hidden size).</param>
/// <param name="ConditionDim">width of the conditioning vector (projection_dim).</param>
/// <param name="ReduceDim">decoder width.</param>
/// <param name="NumLayers">decoder layers = number of activations consumed.</param>
/// <param name="Heads">decoder attention heads.</param>
/// <param name="IntermediateSize">decoder MLP width.</param>
/// <param name="ConditionalLayer">decoder step at which FiLM is applied.</param>
/// <param name="ComplexTransposedConvolution">conv3x3-ReLU-tconv-ReLU-tconv head instead of one transposed conv.</param>
/// <param name="PatchSize">vision patch size (the head upsamples each token back to a patch).</param>
/// <param name="LayerNormEps">decoder LayerNorm eps (transformers takes the vision config's).</param>
public sealed record ClipSegDecoderOptions(int ActivationDim, int ConditionDim, int ReduceDim, int NumLayers, int Heads, int IntermediateSize,
    int ConditionalLayer, bool ComplexTransposedConvolution, int PatchSize, float LayerNormEps)
{
    public static ClipSegDecoderOptions FromConfig(ClipSegConfig c) => new(
        c.Vision.HiddenSize, c.ProjectionDim, c.ReduceDim, c.ExtractLayers.Length, c.DecoderNumAttentionHeads, c.DecoderIntermediateSize,
        c.ConditionalLayer, c.UseComplexTransposedConvolution, c.Vision.PatchSize, c.Vision.LayerNormEps);
}
