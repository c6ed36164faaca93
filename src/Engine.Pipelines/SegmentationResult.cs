namespace Engine.Pipelines;

/// <summary>
/// Segmentation of one image for one or more prompts, at the image's original size. Every map is row-major
/// (index y * Width + x).
/// </summary>
public sealed class SegmentationResult
{
    internal SegmentationResult(int width, int height, IReadOnlyList<string> prompts, float threshold, float[][] probabilities, bool[][] masks, byte[]? labelMap)
    {
        Width = width; Height = height; Prompts = prompts; Threshold = threshold;
        Probabilities = probabilities; Masks = masks; LabelMap = labelMap;
    }

    public int Width { get; }
    public int Height { get; }
    public IReadOnlyList<string> Prompts { get; }
    public float Threshold { get; }

    /// <summary>Per prompt: sigmoid probabilities in [0, 1], Width * Height values.</summary>
    public IReadOnlyList<float[]> Probabilities { get; }

    /// <summary>Per prompt: probability &gt; <see cref="Threshold"/>.</summary>
    public IReadOnlyList<bool[]> Masks { get; }

    /// <summary>With several prompts: 0 = background (no probability above the threshold), k = prompt k-1 (the most
    /// probable one; first on ties). Null for a single prompt.</summary>
    public byte[]? LabelMap { get; }

    /// <summary>Mask of one prompt as 0/255 bytes (for image writers).</summary>
    public byte[] MaskBytes(int prompt) => Array.ConvertAll(Masks[prompt], m => m ? (byte)255 : (byte)0);

    /// <summary>Fraction of pixels inside the mask of one prompt.</summary>
    public double Coverage(int prompt) => Masks[prompt].Count(m => m) / (double)Math.Max(1, Masks[prompt].Length);
}
