using System.Collections.Concurrent;
using Engine.Imaging;
using Engine.Models.BiomedClip;
using Engine.Models.Loading;

namespace Engine.Models.BiomedClipSeg;

/// <summary>
/// BiomedCLIPSeg as an <see cref="IPromptSegmenter"/>: each prompt goes through BERT + projection once (cached), each
/// image through the ViT once (up to the deepest extracted block), the decoder per (image, prompt) pair.
/// Safe for concurrent calls.
/// </summary>
public sealed class BiomedClipSegSegmenter : IPromptSegmenter
{
    private const int MaxCachedPrompts = 4096;
    private readonly ConcurrentDictionary<string, float[]> _promptCache = new(StringComparer.Ordinal);
    private bool _disposed;

    public BiomedClipSegSegmenter(BiomedClipSegModel model, BiomedClipTokenizer tokenizer, PreprocessorConfig preprocessing)
    {
        Model = model; Tokenizer = tokenizer; Preprocessing = preprocessing;
    }

    public BiomedClipSegModel Model { get; }
    public BiomedClipTokenizer Tokenizer { get; }
    public PreprocessorConfig Preprocessing { get; }
    public float DefaultThreshold => 0.5f;

    /// <summary>FiLM conditions [P, embed_dim] of the prompts, cached per prompt text.</summary>
    public Tensor EncodePrompts(IReadOnlyList<string> prompts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (prompts.Count == 0) throw new ArgumentException("No prompts given: pass at least one text prompt.");
        for (int i = 0; i < prompts.Count; i++)
            if (string.IsNullOrWhiteSpace(prompts[i])) throw new ArgumentException($"Prompt {i} is empty.");
        int d = Model.Config.BiomedClip.EmbedDim;
        var missing = prompts.Distinct(StringComparer.Ordinal).Where(p => !_promptCache.ContainsKey(p)).ToList();
        float[]? fresh = null;
        if (missing.Count > 0)
        {
            fresh = Encode(missing).ToArray();
            if (_promptCache.Count + missing.Count > MaxCachedPrompts) _promptCache.Clear();
            for (int i = 0; i < missing.Count; i++) _promptCache[missing[i]] = fresh.AsSpan(i * d, d).ToArray();
        }
        var all = new float[prompts.Count * d];
        for (int i = 0; i < prompts.Count; i++)
        {
            if (!_promptCache.TryGetValue(prompts[i], out var row)) return Encode(prompts); // evicted concurrently
            row.CopyTo(all, i * d);
        }
        return Tensor.FromArray(all, prompts.Count, d);
    }

    private Tensor Encode(IReadOnlyList<string> prompts)
    {
        using (Tensor.NoGrad())
        {
            var batch = Tokenizer.Encode(prompts);
            return Model.EncodeText(batch.IdsTensor()).To(Device.Cpu);
        }
    }

    public Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var cond = EncodePrompts(prompts);
        using (Tensor.NoGrad())
        {
            int n = pixelValues.Shape[0], p = prompts.Count, d = cond.Shape[1];
            var acts = Model.EncodeImages(pixelValues);
            var device = Model.Decoder.FilmMul.Weight.Value.Device;
            var perPair = cond.To(device).Unsqueeze(0).Expand(n, p, d).Reshape(n * p, d);
            var logits = Model.Decoder.Forward(acts, perPair);
            return logits.Reshape(n, p, logits.Shape[1], logits.Shape[2]);
        }
    }

    public void Dispose() => _disposed = true;
}
