using Engine.Imaging;

namespace Engine.Pipelines;

/// <summary>Settings of a <see cref="SegmentationModel"/>.</summary>
public sealed record SegmentationOptions
{
    /// <summary>Images per forward pass when segmenting several images (memory grows with it).</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Probability threshold for masks; null = the model family's default (CLIPSeg 0.5).</summary>
    public float? Threshold { get; init; }

    /// <summary>Decoding limits for files and streams (image too large -> a clear error).</summary>
    public ImageLoadOptions ImageLoad { get; init; } = ImageLoadOptions.Default;
}
