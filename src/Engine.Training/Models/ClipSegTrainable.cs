using Engine.Models.ClipSeg;
using Engine.Imaging;
using Engine.Models.Loading;
using Engine.Nn;
using Engine.Text.Clip;

namespace Engine.Training.Models;

/// <summary>Training adapter of Hugging Face CLIPSeg folders. Parts: decoder (decoder.*), text (clip.text_model.*,
/// clip.text_projection.*), vision (clip.vision_model.*). The vision tower stops after the deepest extracted layer.</summary>
public sealed class ClipSegTrainableFamily : ITrainableFamily
{
    public string Family => "clipseg";

    public ITrainableSegmentationModel Open(ModelFolder folder, Device device)
    {
        var model = ClipSegLoader.Load(folder, device);
        var spec = PreprocessorConfig.FromFolder(folder.Path, ClipSegSegmenter.CidasPreprocessing);
        return new ClipSegTrainable(model, ClipSegLoader.LoadTokenizer(folder), spec);
    }
}

/// <summary>A loaded CLIPSeg as an <see cref="ITrainableSegmentationModel"/>.</summary>
public sealed class ClipSegTrainable : ITrainableSegmentationModel
{
    private readonly FrozenPromptCache _frozenText;
    private readonly FrozenActivationCache _frozenImages = new() { BudgetBytes = DefaultActivationCacheBytes };
    private TrainableParts _parts = TrainableParts.DecoderOnly;

    public ClipSegTrainable(ClipSegForImageSegmentation model, ClipTokenizer tokenizer, PreprocessorConfig preprocessing)
    {
        Model = model; Tokenizer = tokenizer; Preprocessing = preprocessing;
        _frozenText = new FrozenPromptCache(p =>
        {
            var batch = Tokenizer.Encode(new[] { p });
            return Model.Clip.GetTextFeatures(batch.IdsTensor(), batch.AttentionMaskTensor()).ToArray();
        });
        Configure(_parts);
    }

    public ClipSegForImageSegmentation Model { get; }
    public ClipTokenizer Tokenizer { get; }
    public string Family => "clipseg";
    public Module Module => Model;
    public PreprocessorConfig Preprocessing { get; }
    public float DefaultThreshold => 0.5f;

    public string? PartOf(string parameterName)
    {
        if (parameterName.StartsWith("decoder.", StringComparison.Ordinal)) return TrainableParts.DecoderName;
        if (parameterName.StartsWith("clip.text_model.", StringComparison.Ordinal) || parameterName.StartsWith("clip.text_projection.", StringComparison.Ordinal))
            return TrainableParts.TextName;
        if (parameterName.StartsWith("clip.vision_model.", StringComparison.Ordinal)) return TrainableParts.VisionName;
        return null; // logit_scale, visual_projection: not on the text-prompted segmentation path
    }

    public void Configure(TrainableParts parts)
    {
        // The trainer re-configures every epoch with the same parts: the vision activations stay valid then (its
        // weights did not train), and are dropped when the parts change.
        if (parts != _parts || parts.Vision) _frozenImages.Clear();
        _parts = parts;
        foreach (var (name, p) in Model.NamedParameters()) p.RequiresGrad = PartOf(name) is { } part && parts.Includes(part);
        Model.Eval();
        if (parts.Decoder) Model.Decoder.Train();
        if (parts.Text) { Model.Clip.TextModel.Train(); Model.Clip.TextProjection.Train(); }
        if (parts.Vision) Model.Clip.VisionModel.Train();
        _frozenText.Clear();
    }

    /// <summary>Default budget of the frozen vision tower's activations kept across epochs (2 GiB: ~450 CLIPSeg
    /// images at 352 px).</summary>
    public const long DefaultActivationCacheBytes = 2L << 30;

    public void SetActivationCacheBudget(long bytes) => _frozenImages.SetBudget(bytes);

    /// <summary>Batches whose frozen vision activations came from the cache, batches encoded, images held.</summary>
    public (int Hits, int Misses, int Images) ActivationCacheStats => _frozenImages.Stats;

    public Tensor Forward(Tensor pixelValues, IReadOnlyList<string> prompts)
    {
        if (prompts.Count != pixelValues.Shape[0])
            throw new ArgumentException($"Training needs one prompt per image: {prompts.Count} prompts for {pixelValues.Shape[0]} images.");
        List<Tensor> acts;
        if (_parts.Vision) (_, acts, _) = Model.EncodeImages(pixelValues, computePooledOutput: false);
        else acts = _frozenImages.Get(pixelValues, px => Model.EncodeImages(px, computePooledOutput: false).activations, Model.Decoder.FilmMul.Weight.Value.Device);
        Tensor cond;
        if (_parts.Text)
        {
            var batch = Tokenizer.Encode(prompts, padToLongest: true);
            cond = Model.Clip.GetTextFeatures(batch.IdsTensor(), batch.AttentionMaskTensor());
        }
        else cond = _frozenText.Get(prompts);
        cond = cond.To(Model.Decoder.FilmMul.Weight.Value.Device);
        return Model.Decoder.Forward(acts, cond);
    }

    public IPromptSegmenter CreateSegmenter() => new ClipSegSegmenter(Model, Tokenizer, Preprocessing);

    public void Dispose() { }
}
