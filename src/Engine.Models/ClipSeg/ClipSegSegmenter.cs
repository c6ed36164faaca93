using Engine.Imaging;
using Engine.Models.Loading;
using Engine.Text.Clip;

namespace Engine.Models.ClipSeg;

/// <summary>
/// CLIPSeg as an <see cref="IPromptSegmenter"/>: each prompt goes through the text tower once (cached), each image
/// through the vision tower once (stopping after the deepest extracted layer), and the decoder runs per (image,
/// prompt) pair on the shared activations. Prompt images (visual prompts) are conditions too, as transformers'
/// conditional_pixel_values: visual_projection(post_layernorm(CLS)) of the whole vision tower. Safe for concurrent
/// calls (no mutable state besides the prompt cache).
/// </summary>
public sealed class ClipSegSegmenter : IPromptSegmenter
{
    /// <summary>CIDAS/clipseg-rd64-refined's processor: ViTImageProcessor, 352x352 bilinear, /255, ImageNet mean/std
    /// (used when a folder has no preprocessor_config.json).</summary>
    public static PreprocessorConfig CidasPreprocessing => PreprocessorConfig.ClipSeg(352);

    private readonly ClipSegDecoderSegmenterCore _core;

    public ClipSegSegmenter(ClipSegForImageSegmentation model, ClipTokenizer tokenizer, PreprocessorConfig preprocessing)
    {
        Model = model; Tokenizer = tokenizer; Preprocessing = preprocessing;
        if (tokenizer.VocabularySize > model.Config.Text.VocabSize)
            throw new InvalidDataException($"The tokenizer has {tokenizer.VocabularySize} tokens but the model's text vocabulary has {model.Config.Text.VocabSize}.");
        _core = new ClipSegDecoderSegmenterCore(this, EncodeText, EncodeImages, model.Decoder, model.Config.ProjectionDim,
            pixels => Model.Clip.GetImageFeatures(pixels).To(Device.Cpu));
    }

    public ClipSegForImageSegmentation Model { get; }
    public ClipTokenizer Tokenizer { get; }
    public PreprocessorConfig Preprocessing { get; }
    public float DefaultThreshold => 0.5f;

    /// <summary>Conditional embeddings [P, projection_dim] of the prompts (text tower + text_projection), cached per prompt.</summary>
    public Tensor EncodePrompts(IReadOnlyList<string> prompts) => _core.EncodePrompts(prompts);

    public Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts) => _core.PredictLogits(pixelValues, prompts);

    public bool AcceptsPromptImages => _core.AcceptsPromptImages;

    public Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts, PromptImages? promptImages)
        => _core.PredictLogits(pixelValues, prompts, promptImages);

    private Tensor EncodeText(IReadOnlyList<string> prompts)
    {
        var batch = Tokenizer.Encode(prompts, padToLongest: true);
        return Model.Clip.GetTextFeatures(batch.IdsTensor(), batch.AttentionMaskTensor()).To(Device.Cpu);
    }

    // The vision tower stops after the deepest extracted layer (no pooled output).
    private List<Tensor> EncodeImages(Tensor pixelValues) => Model.EncodeImages(pixelValues, computePooledOutput: false).activations;

    public void Dispose() => _core.Dispose();
}
