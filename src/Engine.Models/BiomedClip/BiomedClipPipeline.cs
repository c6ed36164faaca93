using Engine.Imaging;

namespace Engine.Models.BiomedClip;

/// <summary>One zero-shot classification result: a probability per label (softmax over the labels).</summary>
public sealed record ZeroShotResult(string Image, IReadOnlyList<string> Labels, float[] Probabilities)
{
    public string Best => Labels[Array.IndexOf(Probabilities, Probabilities.Max())];
}

/// <summary>
/// BiomedCLIP as users call it from a host application: load a downloaded open_clip folder once, then embed images
/// and texts or classify images zero-shot. Images go through open_clip's eval transform (shortest side to the model
/// size, bicubic, centre crop, OpenAI mean/std, from the folder's config); texts through open_clip's tokenizer.
/// Calls are serialised internally, so one instance may be shared between threads.
/// </summary>
public sealed class BiomedClipPipeline : IDisposable
{
    /// <summary>The prompt template of BiomedCLIP's model card ("this is a photo of " + label).</summary>
    public const string DefaultTemplate = "this is a photo of {}";

    private readonly object _lock = new();

    private BiomedClipPipeline(BiomedClipModel model, BiomedClipTokenizer tokenizer, PreprocessorConfig preprocessing)
    {
        Model = model; Tokenizer = tokenizer; Preprocessing = preprocessing;
    }

    public BiomedClipModel Model { get; }
    public BiomedClipTokenizer Tokenizer { get; }
    public PreprocessorConfig Preprocessing { get; }

    public static BiomedClipPipeline Open(string folder, Device? device = null)
    {
        var model = BiomedClipFolder.Load(folder, device);
        var tok = BiomedClipTokenizer.FromFolder(folder, model.Config.ContextLength);
        tok.CheckAgainst(model.Config.Text.VocabSize, folder);
        var pre = PreprocessorConfig.FromFolder(folder, PreprocessorConfig.OpenClip(model.Config.Vision.ImageSize, model.Config.Mean, model.Config.Std));
        return new BiomedClipPipeline(model, tok, pre);
    }

    /// <summary>Image features [N, E] (L2-normalised when asked).</summary>
    public Tensor EmbedImages(IReadOnlyList<RgbImage> images, bool normalize = true)
    {
        var pixels = ImagePreprocessor.ToTensor(images, Preprocessing);
        lock (_lock)
            return TensorScope.Infer(() => Model.EncodeImage(pixels, normalize).To(Device.Cpu));
    }

    /// <summary>Text features [N, E] (L2-normalised when asked).</summary>
    public Tensor EmbedTexts(IReadOnlyList<string> texts, bool normalize = true)
    {
        var batch = Tokenizer.Encode(texts);
        lock (_lock)
            return TensorScope.Infer(() => Model.EncodeText(batch.IdsTensor(), normalize).To(Device.Cpu));
    }

    /// <summary>
    /// Zero-shot classification as on BiomedCLIP's model card: softmax over labels of
    /// exp(logit_scale) · cos(image, template(label)). <paramref name="template"/> holds "{}" where the label goes.
    /// </summary>
    public IReadOnlyList<ZeroShotResult> Classify(IReadOnlyList<(string name, RgbImage image)> images, IReadOnlyList<string> labels, string template = DefaultTemplate)
    {
        if (labels.Count == 0) throw new ArgumentException("Give at least one label (--label \"...\").");
        if (images.Count == 0) throw new ArgumentException("Give at least one image.");
        if (!template.Contains("{}", StringComparison.Ordinal)) throw new ArgumentException($"The template \"{template}\" has no {{}} where the label goes.");
        var prompts = labels.Select(l => template.Replace("{}", l, StringComparison.Ordinal)).ToList();
        var txt = EmbedTexts(prompts);
        var img = EmbedImages(images.Select(x => x.image).ToList());
        float[] probs;
        lock (_lock)
            using (Tensor.NoGrad())
            {
                var scale = Ops.Exp(Model.LogitScale.Value).To(Device.Cpu);
                probs = Ops.Softmax(Ops.Mul(Ops.MatMul(img, txt, transB: true), scale), -1).ToArray();
            }
        return images.Select((x, i) => new ZeroShotResult(x.name, labels, probs.AsSpan(i * labels.Count, labels.Count).ToArray())).ToList();
    }

    /// <summary>Files as given, folders expanded to their images (sorted); missing paths and empty folders are errors.</summary>
    public static List<string> ExpandImagePaths(IEnumerable<string> args) => ImageLoader.ExpandImagePaths(args);

    public void Dispose() { }
}
