using Engine.Imaging;
using Engine.Models.Loading;
using Engine.Text.Clip;

namespace Engine.Models.Cris;

/// <summary>
/// CRIS as an <see cref="IPromptSegmenter"/>: prompts tokenised as CRIS does (CLIP BPE, word_len, 0-padded), each
/// image through the backbone once and each prompt through the text tower once, then neck, decoder and projector per
/// (image, prompt) pair. Preprocessing is CRIS's letterbox to input_size (CLIP mean border, bicubic), threshold 0.35.
/// The model must be in eval mode (batch norms on running statistics). Safe for concurrent calls.
/// </summary>
public sealed class CrisSegmenter : IPromptSegmenter
{
    private bool _disposed;

    public CrisSegmenter(CrisModel model, ClipTokenizer tokenizer, PreprocessorConfig? preprocessing = null)
    {
        Model = model;
        Tokenizer = tokenizer.MaxLength == model.Config.WordLen && tokenizer.PadId == 0 ? tokenizer : tokenizer.WithContextLength(model.Config.WordLen).WithPadId(0);
        if (tokenizer.VocabularySize > model.ClipArch.VocabSize)
            throw new InvalidDataException($"The tokenizer has {tokenizer.VocabularySize} tokens but the CRIS text tower has {model.ClipArch.VocabSize}.");
        Preprocessing = preprocessing ?? PreprocessorConfig.Cris(model.Config.InputSize);
    }

    public CrisModel Model { get; }
    public ClipTokenizer Tokenizer { get; }
    public PreprocessorConfig Preprocessing { get; }
    public float DefaultThreshold => CrisConfig.DefaultThreshold;

    /// <summary>CRIS's word ids [P, word_len] for the prompts.</summary>
    public Tensor Tokenize(IReadOnlyList<string> prompts)
    {
        if (prompts.Count == 0) throw new ArgumentException("No prompts given: pass at least one text prompt.");
        for (int i = 0; i < prompts.Count; i++)
            if (string.IsNullOrWhiteSpace(prompts[i])) throw new ArgumentException($"Prompt {i} is empty.");
        return Tokenizer.Encode(prompts).IdsTensor();
    }

    public Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Model.Training) throw new InvalidOperationException("CrisSegmenter needs the model in eval mode (call Eval()): in training mode its batch norms would use and update batch statistics.");
        var ids = Tokenize(prompts);
        return TensorScope.Infer(() =>
        {
            int n = pixelValues.Shape[0], p = prompts.Count;
            var (v3, v4, v5) = Model.Backbone.EncodeImage(pixelValues.To(Model.Device));
            var (words, state) = Model.Backbone.EncodeText(ids);
            var padMask = CrisModel.PadMaskOf(ids);
            if (p > 1 || n > 1)
            {
                v3 = PerPairImage(v3, n, p); v4 = PerPairImage(v4, n, p); v5 = PerPairImage(v5, n, p);
                words = PerPairText(words, n, p); state = PerPairText(state, n, p);
                padMask = Tensor.FromArray(Enumerable.Repeat(padMask.ToInt64Array(), n).SelectMany(x => x).ToArray(), n * p, ids.Shape[1]);
            }
            var fq = Model.Neck.Forward(v3, v4, v5, state);
            fq = Model.Decoder.Forward(fq, words, padMask);
            var logits = Model.Proj.Forward(fq, state);                  // [N*P, 1, h, w]
            return logits.Reshape(n, p, logits.Shape[2], logits.Shape[3]).To(Device.Cpu);
        });
    }

    // [N, ...] -> [N*P, ...], pair index n*P + p.
    private static Tensor PerPairImage(Tensor x, int n, int p)
    {
        if (p == 1) return x;
        var shape = x.Shape;
        var expanded = new[] { n, p }.Concat(shape.Skip(1)).ToArray();
        return x.Unsqueeze(1).Expand(expanded).Reshape(new[] { n * p }.Concat(shape.Skip(1)).ToArray());
    }

    // [P, ...] -> [N*P, ...]
    private static Tensor PerPairText(Tensor x, int n, int p)
    {
        if (n == 1) return x;
        var shape = x.Shape;
        var expanded = new[] { n }.Concat(shape).ToArray();
        return x.Unsqueeze(0).Expand(expanded).Reshape(new[] { n * p }.Concat(shape.Skip(1)).ToArray());
    }

    public void Dispose() => _disposed = true;
}
