using Engine.Text;

namespace Engine.Models.Loading;

/// <summary>
/// A model family the engine can run from a folder (CLIPSeg, plain CLIP towers, BERT, BiomedCLIP, CRIS, ...). Each family
/// is one class in Engine.Models implementing this interface with a public parameterless constructor;
/// <see cref="ModelFamilies"/> discovers them by reflection, so adding a family is adding a file.
/// </summary>
public interface IModelFamily
{
    /// <summary>Short lower-case name ("clipseg", "clip", "bert", ...), used in messages and by <c>engine init --family</c>.</summary>
    string Name { get; }

    /// <summary>True when this family reads <paramref name="folder"/> (e.g. by config.json model_type). Families must not overlap.</summary>
    bool CanOpen(ModelFolder folder);

    /// <summary>Loads the folder for <c>engine forward</c> (conformance: named input tensors in, named output tensors out).</summary>
    IForwardRunner OpenForwardRunner(ModelFolder folder, Device device);

    /// <summary>Loads the folder for text-prompted segmentation; null when the family does not segment.</summary>
    IPromptSegmenter? OpenSegmenter(ModelFolder folder, Device device) => null;

    /// <summary>Tokenizes prompts with the folder's own tokenizer (for <c>engine tokenize</c>); null when the family has no text input.</summary>
    TokenizedBatch? Tokenize(ModelFolder folder, IReadOnlyList<string> texts) => null;
}

/// <summary>Runs a loaded model on named input tensors (the <c>engine forward</c> contract).</summary>
public interface IForwardRunner : IDisposable
{
    /// <summary>Input tensor names this runner reads; others are reported as unused.</summary>
    IReadOnlyCollection<string> KnownInputs { get; }

    ForwardResult Run(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options);
}

/// <summary>What <c>engine forward</c> asks for.</summary>
public sealed record ForwardOptions
{
    /// <summary>Backpropagate the family's loss (labels, or a grad_probe.* weighted sum) and return every parameter's gradient.</summary>
    public bool ComputeGradients { get; init; }

    /// <summary>Leave the gradients on the model's device instead of copying them to the CPU (benchmarks and hosts that
    /// go on training there; <c>engine forward</c> writes them, so it copies).</summary>
    public bool GradientsOnDevice { get; init; }

    /// <summary>Also return named intermediates (hidden states, attention probabilities, decoder steps) under the golden names.</summary>
    public bool RecordIntermediates { get; init; }

    /// <summary>Family-specific switches, e.g. "freeze-encoders" (CLIPSeg: HF training semantics, towers under no_grad)
    /// or "frozen-bn" (CRIS). A runner names the flags it does not understand in <see cref="ForwardResult.Notes"/>.</summary>
    public IReadOnlySet<string> Flags { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    public bool Has(string flag) => Flags.Contains(flag);
}

/// <summary>Output of a forward run: named tensors, optional gradients by checkpoint key, file metadata and notes for the user.</summary>
public sealed class ForwardResult
{
    public Dictionary<string, Tensor> Outputs { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor>? Gradients { get; set; }
    /// <summary>String metadata written into the gradients file (e.g. loss, params_without_grad).</summary>
    public Dictionary<string, string> GradientMetadata { get; } = new(StringComparer.Ordinal);
    /// <summary>Warnings such as unused inputs or unknown flags.</summary>
    public List<string> Notes { get; } = new();
}
