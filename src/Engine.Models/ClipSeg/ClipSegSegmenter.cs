using System.Collections.Concurrent;
using Engine.Imaging;
using Engine.Models.Loading;
using Engine.Text.Clip;

namespace Engine.Models.ClipSeg;

/// <summary>
/// CLIPSeg as an <see cref="IPromptSegmenter"/>: each prompt goes through the text tower once (cached), each image
/// through the vision tower once (stopping after the deepest extracted layer), and the decoder runs per (image,
/// prompt) pair on the shared activations. Safe for concurrent calls (no mutable state besides the prompt cache).
/// </summary>
public sealed class ClipSegSegmenter : IPromptSegmenter
{
    /// <summary>CIDAS/clipseg-rd64-refined's processor: ViTImageProcessor, 352x352 bilinear, /255, ImageNet mean/std
    /// (used when a folder has no preprocessor_config.json).</summary>
    public static PreprocessorConfig CidasPreprocessing => PreprocessorConfig.ClipSeg(352);

    private const int MaxCachedPrompts = 4096;
    private readonly ConcurrentDictionary<string, float[]> _promptCache = new(StringComparer.Ordinal);
    private bool _disposed;

    public ClipSegSegmenter(ClipSegForImageSegmentation model, ClipTokenizer tokenizer, PreprocessorConfig preprocessing)
    {
        Model = model; Tokenizer = tokenizer; Preprocessing = preprocessing;
        if (tokenizer.VocabularySize > model.Config.Text.VocabSize)
            throw new InvalidDataException($"The tokenizer has {tokenizer.VocabularySize} tokens but the model's text vocabulary has {model.Config.Text.VocabSize}.");
    }

    public ClipSegForImageSegmentation Model { get; }
    public ClipTokenizer Tokenizer { get; }
    public PreprocessorConfig Preprocessing { get; }
    public float DefaultThreshold => 0.5f;

    /// <summary>Conditional embeddings [P, projection_dim] of the prompts (text tower + text_projection), cached per prompt.</summary>
    public Tensor EncodePrompts(IReadOnlyList<string> prompts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (prompts.Count == 0) throw new ArgumentException("No prompts given: pass at least one text prompt.");
        for (int i = 0; i < prompts.Count; i++)
            if (string.IsNullOrWhiteSpace(prompts[i])) throw new ArgumentException($"Prompt {i} is empty.");
        int d = Model.Config.ProjectionDim;
        var missing = prompts.Distinct(StringComparer.Ordinal).Where(p => !_promptCache.ContainsKey(p)).ToList();
        if (missing.Count > 0)
        {
            using (Tensor.NoGrad())
            {
                var batch = Tokenizer.Encode(missing, padToLongest: true);
                var emb = Model.Clip.GetTextFeatures(batch.IdsTensor(), batch.AttentionMaskTensor()).ToArray();
                if (_promptCache.Count + missing.Count > MaxCachedPrompts) _promptCache.Clear();
                for (int i = 0; i < missing.Count; i++) _promptCache[missing[i]] = emb.AsSpan(i * d, d).ToArray();
            }
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
        using (Tensor.NoGrad())
        {
            var batch = Tokenizer.Encode(prompts, padToLongest: true);
            return Model.Clip.GetTextFeatures(batch.IdsTensor(), batch.AttentionMaskTensor()).To(Device.Cpu);
        }
    }

    public Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var cond = EncodePrompts(prompts);
        using (Tensor.NoGrad())
        {
            int n = pixelValues.Shape[0], p = prompts.Count, d = cond.Shape[1];
            var (_, acts, _) = Model.EncodeImages(pixelValues, computePooledOutput: false);
            var device = Model.Decoder.FilmMul.Weight.Value.Device;
            var perPair = cond.To(device).Unsqueeze(0).Expand(n, p, d).Reshape(n * p, d);
            var logits = Model.Decoder.Forward(acts, perPair);
            return logits.Reshape(n, p, logits.Shape[1], logits.Shape[2]);
        }
    }

    public void Dispose() => _disposed = true;
}
