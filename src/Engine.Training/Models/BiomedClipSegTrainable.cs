using Engine.Models.BiomedClip;
using Engine.Models.BiomedClipSeg;
using Engine.Imaging;
using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Training.Models;

/// <summary>Training adapter of BiomedCLIPSeg / BiomedCLIPSeg-D folders. Parts: decoder (decoder.*), text
/// (biomedclip.text.*: BiomedBERT + projection), vision (biomedclip.visual.*: the timm ViT).</summary>
public sealed class BiomedClipSegTrainableFamily : ITrainableFamily
{
    public string Family => BiomedClipSegConfig.ModelType;

    public ITrainableSegmentationModel Open(ModelFolder folder, Device device)
    {
        var model = BiomedClipSegLoader.Load(folder, device);
        return new BiomedClipSegTrainable(model, BiomedClipSegLoader.LoadTokenizer(folder, model.Config), BiomedClipSegLoader.Preprocessing(folder, model.Config));
    }
}

/// <summary>A loaded BiomedCLIPSeg as an <see cref="ITrainableSegmentationModel"/>. Note: BERT's dropout draws from
/// the model's own random stream when the text part trains, so such runs are not bit-for-bit resumable.</summary>
public sealed class BiomedClipSegTrainable : ITrainableSegmentationModel
{
    private readonly FrozenPromptCache _frozenText;
    private readonly FrozenActivationCache _frozenImages = new() { BudgetBytes = ClipSegTrainable.DefaultActivationCacheBytes };
    private TrainableParts _parts = TrainableParts.DecoderOnly;

    public BiomedClipSegTrainable(BiomedClipSegModel model, BiomedClipTokenizer tokenizer, PreprocessorConfig preprocessing)
    {
        Model = model; Tokenizer = tokenizer; Preprocessing = preprocessing;
        _frozenText = new FrozenPromptCache(p => Model.EncodeText(Tokenizer.Encode(new[] { p }).IdsTensor()).ToArray());
        Configure(_parts);
    }

    public BiomedClipSegModel Model { get; }
    public BiomedClipTokenizer Tokenizer { get; }
    public string Family => BiomedClipSegConfig.ModelType;
    public Module Module => Model;
    public PreprocessorConfig Preprocessing { get; }
    public float DefaultThreshold => 0.5f;

    public string? PartOf(string parameterName)
    {
        if (parameterName.StartsWith("decoder.", StringComparison.Ordinal)) return TrainableParts.DecoderName;
        if (parameterName.StartsWith("biomedclip.text.", StringComparison.Ordinal)) return TrainableParts.TextName;
        if (parameterName.StartsWith("biomedclip.visual.", StringComparison.Ordinal)) return TrainableParts.VisionName;
        return null;
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
        if (parts.Text) Model.BiomedClip.Text.Train();
        if (parts.Vision) Model.BiomedClip.Visual.Train();
        _frozenText.Clear();
    }

    public void SetActivationCacheBudget(long bytes) => _frozenImages.SetBudget(bytes);

    /// <summary>Batches whose frozen vision activations came from the cache, batches encoded, images held.</summary>
    public (int Hits, int Misses, int Images) ActivationCacheStats => _frozenImages.Stats;

    public Tensor Forward(Tensor pixelValues, IReadOnlyList<string> prompts)
    {
        if (prompts.Count != pixelValues.Shape[0])
            throw new ArgumentException($"Training needs one prompt per image: {prompts.Count} prompts for {pixelValues.Shape[0]} images.");
        List<Tensor> acts = _parts.Vision ? Model.EncodeImages(pixelValues)
            : _frozenImages.Get(pixelValues, px => Model.EncodeImages(px), Model.Decoder.FilmMul.Weight.Value.Device);
        var cond = _parts.Text ? Model.EncodeText(Tokenizer.Encode(prompts).IdsTensor()) : _frozenText.Get(prompts);
        cond = cond.To(Model.Decoder.FilmMul.Weight.Value.Device);
        return Model.Decoder.Forward(acts, cond);
    }

    public IPromptSegmenter CreateSegmenter() => new BiomedClipSegSegmenter(Model, Tokenizer, Preprocessing);

    public void Dispose() { }
}
