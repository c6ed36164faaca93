using Engine.Imaging;
using Engine.Models.Loading;

namespace Engine.Pipelines;

/// <summary>
/// A text-prompted segmentation model loaded once from a folder (CLIPSeg, or any family implementing
/// IPromptSegmenter), for use by a host application (prompt images too, with a CLIPSeg folder: see
/// <see cref="SegmentationPrompt"/>):
/// <code>
/// using var model = SegmentationModel.Load("clipseg-rd64-refined");
/// var r = model.Segment("scan.png", new[] { "polyp", "instrument" });
/// float[] p = r.Probabilities[0];   // r.Width * r.Height values in [0, 1]
/// bool[] m = r.Masks[0];            // p &gt; threshold
/// </code>
/// Thread-safe: any number of threads may call Segment concurrently; <see cref="Dispose"/> waits for running calls.
/// </summary>
public sealed class SegmentationModel : IDisposable
{
    private readonly IPromptSegmenter _segmenter;
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    private bool _disposed;

    private SegmentationModel(string path, string family, IPromptSegmenter segmenter, SegmentationOptions options)
    {
        ModelPath = path; Family = family; _segmenter = segmenter; Options = options;
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"BatchSize must be at least 1 (got {options.BatchSize}).");
        if (options.Threshold is float t && !(t >= 0 && t <= 1)) throw new ArgumentOutOfRangeException(nameof(options), $"Threshold must lie in [0, 1] (got {t}).");
    }

    /// <summary>Loads a model folder (config.json + weights + tokenizer files + preprocessor_config.json).</summary>
    /// <param name="modelDir">the folder, e.g. a download of CIDAS/clipseg-rd64-refined or one made by <c>engine init</c>.</param>
    /// <param name="device">where to run (default CPU).</param>
    /// <param name="options">batch size, threshold, image limits.</param>
    public static SegmentationModel Load(string modelDir, Device? device = null, SegmentationOptions? options = null)
    {
        var folder = ModelFolder.Open(modelDir);
        var family = ModelFamilies.Detect(folder);
        var segmenter = family.OpenSegmenter(folder, device ?? Device.Cpu)
                        ?? throw new NotSupportedException($"The {family.Name} model in '{folder.Path}' does not do text-prompted segmentation.");
        return new SegmentationModel(folder.Path, family.Name, segmenter, options ?? new SegmentationOptions());
    }

    /// <summary>Absolute model folder path.</summary>
    public string ModelPath { get; }
    /// <summary>Model family name (e.g. "clipseg").</summary>
    public string Family { get; }
    public SegmentationOptions Options { get; }
    /// <summary>How images are prepared for the model (size, resampling, normalisation).</summary>
    public PreprocessorConfig Preprocessing => _segmenter.Preprocessing;
    /// <summary>Whether prompts may be images (<see cref="SegmentationPrompt.FromImage"/>): CLIPSeg folders.</summary>
    public bool AcceptsPromptImages => _segmenter.AcceptsPromptImages;
    /// <summary>The threshold used when none is given.</summary>
    public float Threshold => Options.Threshold ?? _segmenter.DefaultThreshold;

    /// <summary>Segments an image file (PNG, JPEG, BMP, TIFF, GIF).</summary>
    public SegmentationResult Segment(string imagePath, IReadOnlyList<string> prompts, float? threshold = null)
        => Segment(ImageLoader.Load(imagePath, Options.ImageLoad), prompts, threshold);

    /// <summary>Segments an encoded image read from a stream.</summary>
    public SegmentationResult Segment(Stream encodedImage, IReadOnlyList<string> prompts, float? threshold = null)
        => Segment(ImageLoader.Load(encodedImage, "<stream>", Options.ImageLoad), prompts, threshold);

    /// <summary>Segments raw 8-bit RGB pixels, interleaved, row-major (width * height * 3 bytes).</summary>
    public SegmentationResult Segment(byte[] rgb, int width, int height, IReadOnlyList<string> prompts, float? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive (got {width}x{height}).");
        if ((long)width * height > Options.ImageLoad.MaxPixels || Math.Max(width, height) > Options.ImageLoad.MaxSide)
            throw new ArgumentException($"A {width}x{height} image exceeds the limit of {Options.ImageLoad.MaxPixels:N0} pixels / {Options.ImageLoad.MaxSide} per side.");
        if (rgb.LongLength != (long)width * height * 3)
            throw new ArgumentException($"Expected {(long)width * height * 3} bytes of RGB for {width}x{height}, got {rgb.LongLength}.");
        return Segment(new RgbImage(width, height, rgb), prompts, threshold);
    }

    /// <summary>Segments a decoded image.</summary>
    public SegmentationResult Segment(RgbImage image, IReadOnlyList<string> prompts, float? threshold = null)
        => Segment(new[] { image }, prompts, threshold)[0];

    /// <summary>Segments several images with the same prompts, <see cref="SegmentationOptions.BatchSize"/> images per forward pass.</summary>
    public IReadOnlyList<SegmentationResult> Segment(IReadOnlyList<RgbImage> images, IReadOnlyList<string> prompts, float? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var list = new SegmentationPrompt[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(prompts[i])) throw new ArgumentException($"Prompt {i} is empty.", nameof(prompts));
            list[i] = SegmentationPrompt.FromText(prompts[i]);
        }
        return Segment(images, list, threshold);
    }

    /// <summary>Segments an image file with text prompts and/or prompt images (visual prompts: CLIPSeg folders).</summary>
    public SegmentationResult Segment(string imagePath, IReadOnlyList<SegmentationPrompt> prompts, float? threshold = null)
        => Segment(ImageLoader.Load(imagePath, Options.ImageLoad), prompts, threshold);

    /// <summary>Segments a decoded image with text prompts and/or prompt images (visual prompts: CLIPSeg folders).</summary>
    public SegmentationResult Segment(RgbImage image, IReadOnlyList<SegmentationPrompt> prompts, float? threshold = null)
        => Segment(new[] { image }, prompts, threshold)[0];

    /// <summary>Segments several images with the same prompts - text and/or prompt images (visual prompts: CLIPSeg
    /// folders) - <see cref="SegmentationOptions.BatchSize"/> images per forward pass. Results list the prompts in the
    /// order given; each prompt image goes through the image encoder once per call.</summary>
    public IReadOnlyList<SegmentationResult> Segment(IReadOnlyList<RgbImage> images, IReadOnlyList<SegmentationPrompt> prompts, float? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(prompts);
        if (images.Count == 0) throw new ArgumentException("No images given.", nameof(images));
        if (prompts.Count == 0) throw new ArgumentException("No prompts given: pass at least one text prompt or prompt image.", nameof(prompts));
        if (prompts.Count > 255) throw new ArgumentException($"At most 255 prompts per call (got {prompts.Count}).", nameof(prompts));
        for (int i = 0; i < prompts.Count; i++)
            if (prompts[i] is null) throw new ArgumentException($"Prompt {i} is null.", nameof(prompts));
        float thr = threshold ?? Threshold;
        if (!(thr >= 0 && thr <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), $"Threshold must lie in [0, 1] (got {thr}).");
        // The model takes the text prompts first, then the prompt images; channel[i] is where prompt i comes out.
        var texts = prompts.Where(p => p.Image is null).Select(p => p.Text!).ToArray();
        var promptImages = prompts.Where(p => p.Image is not null).Select(p => p.Image!).ToArray();
        var channel = new int[prompts.Count];
        for (int i = 0, t = 0, m = texts.Length; i < prompts.Count; i++) channel[i] = prompts[i].Image is null ? t++ : m++;
        var names = prompts.Select(p => p.Name).ToArray();

        _gate.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            PromptImages? encodedImages = null;
            if (promptImages.Length > 0)
            {
                if (!_segmenter.AcceptsPromptImages)
                    throw new NotSupportedException($"The {Family} model takes text prompts only; prompt images (visual prompts) need a CLIPSeg folder.");
                encodedImages = new PromptImages(ImagePreprocessor.ToTensor(promptImages, Preprocessing));
            }
            var results = new SegmentationResult[images.Count];
            for (int start = 0; start < images.Count; start += Options.BatchSize)
            {
                var batch = images.Skip(start).Take(Options.BatchSize).ToList();
                var pixels = ImagePreprocessor.ToTensor(batch, Preprocessing);
                var logits = _segmenter.PredictLogits(pixels, texts, encodedImages); // [n, P, h, w]
                int h = logits.Shape[2], w = logits.Shape[3];
                var all = logits.ToArray();
                Parallel.For(0, batch.Count, b => results[start + b] = Postprocess(all, b, names, channel, w, h, batch[b], thr));
            }
            return results;
        }
        finally { _gate.ExitReadLock(); }
    }

    private SegmentationResult Postprocess(float[] logits, int b, string[] prompts, int[] channel, int w, int h, RgbImage image, float thr)
    {
        int p = prompts.Length;
        var probs = new float[p][];
        var masks = new bool[p][];
        for (int k = 0; k < p; k++)
        {
            var map = logits.AsSpan((b * p + channel[k]) * w * h, w * h).ToArray();
            probs[k] = OutputMapping.ToProbabilities(map, w, h, image.Width, image.Height, Preprocessing);
            masks[k] = Array.ConvertAll(probs[k], v => v > thr);
        }
        var labels = p > 1 ? MaskMaps.LabelMap(probs, thr) : null;
        return new SegmentationResult(image.Width, image.Height, prompts, thr, probs, masks, labels);
    }

    /// <summary>Releases the model; waits for running Segment calls; later calls throw ObjectDisposedException.</summary>
    public void Dispose()
    {
        _gate.EnterWriteLock();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _segmenter.Dispose();
        }
        finally { _gate.ExitWriteLock(); }
    }
}
