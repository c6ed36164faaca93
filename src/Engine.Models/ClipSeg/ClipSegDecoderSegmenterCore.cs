using System.Collections.Concurrent;
using Engine.Models.Loading;

namespace Engine.Models.ClipSeg;

/// <summary>
/// The <see cref="Loading.IPromptSegmenter"/> logic shared by every "encoders + CLIPSeg decoder" model (CLIPSeg,
/// BiomedCLIPSeg): each prompt's condition is computed once and cached per prompt text, each query image goes through
/// the image encoder once, and the decoder runs per (image, prompt) pair on the shared activations. The owning
/// segmenter says only how prompts and images are encoded, and whether (and how) prompt images make conditions. Safe
/// for concurrent calls (the prompt cache is the only mutable state).
/// </summary>
internal sealed class ClipSegDecoderSegmenterCore
{
    private const int MaxCachedPrompts = 4096;
    private readonly ConcurrentDictionary<string, float[]> _promptCache = new(StringComparer.Ordinal);
    private readonly Func<IReadOnlyList<string>, Tensor> _encodePrompts;
    private readonly Func<Tensor, List<Tensor>> _encodeImages;
    private readonly Func<Tensor, Tensor>? _encodePromptImages;
    private readonly ClipSegDecoder _decoder;
    private readonly int _conditionDim;
    private readonly object _owner;
    private bool _disposed;

    /// <param name="owner">the segmenter this core serves (named when it is used after disposal).</param>
    /// <param name="encodePrompts">prompts -> conditions [P, conditionDim] on the CPU (called under no-grad).</param>
    /// <param name="encodeImages">pixel values [N, C, H, W] -> the decoder's activations (called under no-grad).</param>
    /// <param name="decoder">the CLIPSeg decoder the activations and conditions go through.</param>
    /// <param name="conditionDim">width of one prompt condition.</param>
    /// <param name="encodePromptImages">prompt images [K, C, H, W] -> conditions [K, conditionDim] on the CPU (called
    /// under no-grad); null when the model takes text prompts only.</param>
    public ClipSegDecoderSegmenterCore(object owner, Func<IReadOnlyList<string>, Tensor> encodePrompts, Func<Tensor, List<Tensor>> encodeImages,
        ClipSegDecoder decoder, int conditionDim, Func<Tensor, Tensor>? encodePromptImages = null)
    {
        _owner = owner; _encodePrompts = encodePrompts; _encodeImages = encodeImages; _decoder = decoder; _conditionDim = conditionDim;
        _encodePromptImages = encodePromptImages;
    }

    /// <summary>Whether prompt images are accepted (an encoder for them was given).</summary>
    public bool AcceptsPromptImages => _encodePromptImages != null;

    /// <summary>Conditions [P, conditionDim] of the prompts on the CPU, cached per prompt text.</summary>
    public Tensor EncodePrompts(IReadOnlyList<string> prompts)
    {
        ObjectDisposedException.ThrowIf(_disposed, _owner);
        if (prompts.Count == 0) throw new ArgumentException("No prompts given: pass at least one text prompt.");
        for (int i = 0; i < prompts.Count; i++)
            if (string.IsNullOrWhiteSpace(prompts[i])) throw new ArgumentException($"Prompt {i} is empty.");
        int d = _conditionDim;
        var missing = prompts.Distinct(StringComparer.Ordinal).Where(p => !_promptCache.ContainsKey(p)).ToList();
        if (missing.Count > 0)
        {
            var fresh = EncodeUncached(missing).ToArray();
            if (_promptCache.Count + missing.Count > MaxCachedPrompts) _promptCache.Clear();
            for (int i = 0; i < missing.Count; i++) _promptCache[missing[i]] = fresh.AsSpan(i * d, d).ToArray();
        }
        var all = new float[prompts.Count * d];
        for (int i = 0; i < prompts.Count; i++)
        {
            if (!_promptCache.TryGetValue(prompts[i], out var row)) return EncodeUncached(prompts); // evicted concurrently
            row.CopyTo(all, i * d);
        }
        return Tensor.FromArray(all, prompts.Count, d);
    }

    private Tensor EncodeUncached(IReadOnlyList<string> prompts)
    {
        using (Tensor.NoGrad()) return _encodePrompts(prompts);
    }

    /// <summary>Conditions [P + K, conditionDim] of P text prompts (possibly none) followed by K prompt images.</summary>
    public Tensor EncodePrompts(IReadOnlyList<string> prompts, PromptImages? promptImages)
    {
        ObjectDisposedException.ThrowIf(_disposed, _owner);
        if (promptImages is null) return EncodePrompts(prompts);
        if (_encodePromptImages is not { } encode)
            throw new NotSupportedException($"{_owner.GetType().Name} takes text prompts only, not prompt images.");
        int d = _conditionDim, k = promptImages.Count;
        var images = promptImages.Encoded(this, px => { using (Tensor.NoGrad()) return encode(px); });
        if (images.Length != k * d) throw new InvalidOperationException($"The prompt-image encoder gave {images.Length} values for {k} image(s) of {d}.");
        if (prompts.Count == 0) return Tensor.FromArray(images, k, d);
        var texts = EncodePrompts(prompts).ToArray();
        return Tensor.FromArray([.. texts, .. images], prompts.Count + k, d);
    }

    /// <summary>pixelValues [N, C, H, W] and P prompts -> logits [N, P, h, w], without recording gradients.</summary>
    public Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts) => PredictLogits(pixelValues, prompts, null);

    /// <summary>pixelValues [N, C, H, W], P text prompts and K prompt images -> logits [N, P + K, h, w] (texts first),
    /// without recording gradients.</summary>
    public Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts, PromptImages? promptImages)
    {
        ObjectDisposedException.ThrowIf(_disposed, _owner);
        var cond = EncodePrompts(prompts, promptImages);
        return TensorScope.Infer(() =>
        {
            int n = pixelValues.Shape[0], p = cond.Shape[0], d = cond.Shape[1];
            var acts = _encodeImages(pixelValues);
            var device = _decoder.FilmMul.Weight.Value.Device;
            var perPair = cond.To(device).Unsqueeze(0).Expand(n, p, d).Reshape(n * p, d);
            var logits = _decoder.Forward(acts, perPair);
            return logits.Reshape(n, p, logits.Shape[1], logits.Shape[2]);
        });
    }

    public void Dispose() => _disposed = true;
}
