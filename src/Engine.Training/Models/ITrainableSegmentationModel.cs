using Engine.Imaging;
using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Training.Models;

/// <summary>
/// A text-prompted segmentation model as the trainer sees it: one <see cref="Module"/> whose parameters belong to
/// named parts (decoder, text, vision), a training forward pass that runs frozen parts without a tape, and an
/// inference view (<see cref="IPromptSegmenter"/>) over the live weights for validation.
/// One adapter per family (CLIPSeg, BiomedCLIPSeg; CRIS adds one the same way), found by
/// <see cref="TrainableModels"/>.
/// </summary>
public interface ITrainableSegmentationModel : IDisposable
{
    /// <summary>Family name as in <see cref="IModelFamily.Name"/> ("clipseg", "biomedclipseg", ...).</summary>
    string Family { get; }

    /// <summary>The whole model (its state dict is what a model folder's weights hold).</summary>
    Module Module { get; }

    /// <summary>How images are prepared for the model (input size, resample filter, rescale and normalisation).</summary>
    PreprocessorConfig Preprocessing { get; }

    /// <summary>Probability threshold the family was tuned for.</summary>
    float DefaultThreshold { get; }

    /// <summary>The part ("decoder", "text", "vision") a parameter belongs to, or null for parameters no prompt-driven
    /// forward pass uses (e.g. CLIP's logit_scale and visual projection), which are never trained.</summary>
    string? PartOf(string parameterName);

    /// <summary>Sets which parts train: their parameters require gradients and their modules are in training mode;
    /// everything else is frozen and in evaluation mode.</summary>
    void Configure(TrainableParts parts);

    /// <summary>Training forward pass: one prompt per image, logits [B, h, w] (pre-sigmoid). Frozen parts run under
    /// <see cref="Tensor.NoGrad"/> and their outputs enter the trained parts as constants.</summary>
    Tensor Forward(Tensor pixelValues, IReadOnlyList<string> prompts);

    /// <summary>Bytes the model may keep of a frozen image encoder's activations across epochs (0 = none; see
    /// FrozenActivationCache). Families without such a cache ignore it.</summary>
    void SetActivationCacheBudget(long bytes) { }

    /// <summary>An inference view over the current weights (the family's own segmenter code). Create a fresh one after
    /// the weights change, since segmenters may cache prompt embeddings.</summary>
    IPromptSegmenter CreateSegmenter();
}
