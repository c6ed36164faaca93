using Engine.Imaging;

namespace Engine.Models.Loading;

/// <summary>
/// A loaded text-prompted segmentation model, as the pipeline sees it (CLIPSeg, BiomedCLIPSeg, CRIS all implement it):
/// preprocessed images in, one logit map per (image, prompt) out. Implementations must be safe for concurrent calls.
/// </summary>
public interface IPromptSegmenter : IDisposable
{
    /// <summary>How images must be prepared before <see cref="PredictLogits"/>.</summary>
    PreprocessorConfig Preprocessing { get; }

    /// <summary>Probability threshold the family was tuned for (CLIPSeg 0.5, CRIS 0.35).</summary>
    float DefaultThreshold { get; }

    /// <summary>pixelValues [N, C, H, W] (already preprocessed) and P prompts -> logits [N, P, h, w] (pre-sigmoid, at the
    /// model's output resolution; the caller resamples to the original image size). Runs without recording gradients.</summary>
    Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts);

    /// <summary>Whether prompts may also be images (<see cref="PromptImages"/>): CLIPSeg's visual prompts.</summary>
    bool AcceptsPromptImages => false;

    /// <summary><see cref="PredictLogits(Tensor, IReadOnlyList{string})"/> with P text prompts (possibly none) and K
    /// prompt images (possibly null) -> logits [N, P + K, h, w]: the text prompts first, then the images in order.
    /// Families without visual prompts (<see cref="AcceptsPromptImages"/> false) refuse images.</summary>
    Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts, PromptImages? promptImages)
        => promptImages is null ? PredictLogits(pixelValues, prompts)
            : throw new NotSupportedException($"{GetType().Name} takes text prompts only, not prompt images.");
}
