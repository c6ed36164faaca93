using Engine.Imaging;
using Engine.Models.Loading;

namespace Engine.Perf;

/// <summary>
/// Drives any model folder through its family's forward runner (the <c>engine forward</c> contract) with synthetic
/// inputs: random images of the folder's input size, a tokenized prompt per image (random CLIP-style ids when the
/// folder has no tokenizer), and for training random 0/1 labels shaped like the logits. Used by
/// <c>engine profile</c> and by <c>engine bench model --model DIR</c> (and for families known only at run time, e.g. CRIS).
/// </summary>
public sealed class ModelFolderWorkload : IDisposable
{
    private readonly IForwardRunner _runner;
    private readonly ModelFolder _folder;
    private readonly Device _device;

    public ModelFolderWorkload(string modelDir, Device device, int? size = null, Action<string>? log = null)
    {
        _folder = ModelFolder.Open(modelDir);
        _device = device;
        Family = ModelFamilies.Detect(_folder);
        log?.Invoke($"loading {Family.Name} from {_folder.Path} on {device} ...");
        _runner = Family.OpenForwardRunner(_folder, device);
        Size = size ?? InputSize(_folder, Family.Name);
    }

    public IModelFamily Family { get; }
    public int Size { get; }
    public string Prompt { get; init; } = "a round polyp in the lower left of the colon";

    /// <summary>Inputs for a batch; with <paramref name="train"/> also the labels (one inference run learns their shape).</summary>
    public Dictionary<string, Tensor> Inputs(int batch, bool train, ISet<string> flags)
    {
        var known = _runner.KnownInputs;
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (known.Contains("pixel_values")) inputs["pixel_values"] = Tensor.Randn(new Random(1), batch, 3, Size, Size);
        if (known.Contains("input_ids") || known.Contains("word_ids"))
        {
            var (ids, mask) = Tokens(batch);
            if (known.Contains("input_ids")) inputs["input_ids"] = ids;
            if (known.Contains("attention_mask")) inputs["attention_mask"] = mask;
            if (known.Contains("word_ids")) inputs["word_ids"] = ids;
            if (known.Contains("pad_mask"))
            {
                var m = mask.ToInt64Array();
                for (int i = 0; i < m.Length; i++) m[i] = 1 - m[i];
                inputs["pad_mask"] = Tensor.FromArray(m, (int[])mask.Shape.Clone());
            }
        }
        if (inputs.Count == 0) throw new NotSupportedException($"Cannot feed the {Family.Name} family synthetic inputs (it reads: {string.Join(", ", known)}).");
        if (train) AddLabels(inputs, flags);
        return inputs;
    }

    /// <summary>One timed step whose outputs are dropped: inference runs in a <see cref="TensorScope"/> (its temporaries
    /// back to the pool, as a serving host would run it), training in a step scope as the trainer runs it (the tape's
    /// activations and the gradients back to the pool when the step ends, not to the GC: on a GPU, memory left to the
    /// GC made every step allocate from the driver again).</summary>
    public void Step(Dictionary<string, Tensor> inputs, bool train, ISet<string> flags)
    {
        if (!train) { TensorScope.Infer(() => { Run(inputs, train, flags); }); return; }
        // Every runner clears the parameters' gradients before its backward, so none released here is read again.
        using (TensorScope.BeginStep()) Run(inputs, train, flags);
    }

    /// <summary>One step: inference (no tape) or the family's loss with gradients for every trainable parameter.</summary>
    public ForwardResult Run(Dictionary<string, Tensor> inputs, bool train, ISet<string> flags)
    {
        var result = _runner.Run(inputs, new ForwardOptions { ComputeGradients = train, GradientsOnDevice = true, Flags = new HashSet<string>(flags, StringComparer.Ordinal) });
        // A GPU step has only been queued when the runner returns; a timed step ends when its work is done.
        Engine.Backends.BackendRegistry.Get(_device).Synchronize();
        return result;
    }

    private (Tensor ids, Tensor mask) Tokens(int batch)
    {
        try
        {
            var t = Family.Tokenize(_folder, Enumerable.Repeat(Prompt, batch).ToList());
            if (t is not null) return (t.IdsTensor(), t.AttentionMaskTensor());
        }
        catch (Exception e) when (e is not OutOfMemoryException) { } // no usable tokenizer in the folder: synthetic ids below
        // No tokenizer files (e.g. a CRIS folder made without --vocab): CLIP-style ids of CRIS's word length 17,
        // <|startoftext|> ... <|endoftext|> then 0-padding.
        const int len = 17, real = 12;
        var rng = new Random(3);
        var ids = new long[batch * len]; var mask = new long[batch * len];
        for (int r = 0; r < batch; r++)
            for (int i = 0; i < real; i++)
            {
                ids[r * len + i] = i == 0 ? 49406 : i == real - 1 ? 49407 : rng.Next(1, 49405);
                mask[r * len + i] = 1;
            }
        return (Tensor.FromArray(ids, batch, len), Tensor.FromArray(mask, batch, len));
    }

    /// <summary>Random 0/1 labels shaped like the model's logits (read from one inference run).</summary>
    private void AddLabels(Dictionary<string, Tensor> inputs, ISet<string> flags)
    {
        string? labelName = new[] { "labels", "target" }.FirstOrDefault(_runner.KnownInputs.Contains);
        if (labelName is null) return; // the family computes its own loss (e.g. BiomedCLIP's contrastive loss)
        var outputs = Run(inputs, train: false, flags).Outputs;
        var logits = new[] { "logits", "pred_logits" }.Where(outputs.ContainsKey).Select(k => outputs[k]).FirstOrDefault()
                     ?? throw new InvalidOperationException($"The {Family.Name} runner wrote no logits (outputs: {string.Join(", ", outputs.Keys)}).");
        var rng = new Random(2);
        var m = new float[logits.Numel];
        for (int i = 0; i < m.Length; i++) m[i] = rng.Next(2);
        inputs[labelName] = Tensor.FromArray(m, (int[])logits.Shape.Clone());
    }

    /// <summary>Square input size from the folder's preprocessing (HF preprocessor_config.json or open_clip config).</summary>
    private static int InputSize(ModelFolder folder, string family)
    {
        try
        {
            var pre = PreprocessorConfig.FromFolder(folder.Path);
            var (w, h) = pre.OutputSize(1024, 1024);
            if (w != h) throw new InvalidDataException($"non-square input {w}x{h}");
            return w;
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or InvalidDataException)
        {
            if (string.Equals(family, "cris", StringComparison.OrdinalIgnoreCase)) return 416;
            throw new ArgumentException($"Cannot tell the input size of '{folder.Path}' ({e.Message}); pass --size.");
        }
    }

    public void Dispose() => _runner.Dispose();
}
