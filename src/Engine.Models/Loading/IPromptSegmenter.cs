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
}
