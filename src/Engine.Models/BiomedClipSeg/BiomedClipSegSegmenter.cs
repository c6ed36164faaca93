using Engine.Imaging;
using Engine.Models.BiomedClip;
using Engine.Models.ClipSeg;
using Engine.Models.Loading;

namespace Engine.Models.BiomedClipSeg;

/// <summary>
/// BiomedCLIPSeg as an <see cref="IPromptSegmenter"/>: each prompt goes through BERT + projection once (cached), each
/// image through the ViT once (up to the deepest extracted block), the decoder per (image, prompt) pair.
/// Safe for concurrent calls.
/// </summary>
public sealed class BiomedClipSegSegmenter : IPromptSegmenter
{
    private readonly ClipSegDecoderSegmenterCore _core;

    public BiomedClipSegSegmenter(BiomedClipSegModel model, BiomedClipTokenizer tokenizer, PreprocessorConfig preprocessing)
    {
        Model = model; Tokenizer = tokenizer; Preprocessing = preprocessing;
        _core = new ClipSegDecoderSegmenterCore(this, EncodeText, pixels => Model.EncodeImages(pixels), model.Decoder, model.Config.BiomedClip.EmbedDim);
    }

    public BiomedClipSegModel Model { get; }
    public BiomedClipTokenizer Tokenizer { get; }
    public PreprocessorConfig Preprocessing { get; }
    public float DefaultThreshold => 0.5f;

    /// <summary>FiLM conditions [P, embed_dim] of the prompts, cached per prompt text.</summary>
    public Tensor EncodePrompts(IReadOnlyList<string> prompts) => _core.EncodePrompts(prompts);

    public Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts) => _core.PredictLogits(pixelValues, prompts);

    private Tensor EncodeText(IReadOnlyList<string> prompts)
        => Model.EncodeText(Tokenizer.Encode(prompts).IdsTensor()).To(Device.Cpu);

    public void Dispose() => _core.Dispose();
}
