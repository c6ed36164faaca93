using Engine.Data.Converters;

namespace Engine.Data.Synthetic;

/// <summary>Options of <c>engine data synth</c>.</summary>
public sealed class SyntheticOptions
{
    public required string OutputDir { get; init; }

    /// <summary>Number of images; each holds <see cref="ObjectsPerImage"/> objects, one record each.</summary>
    public int Count { get; init; } = 200;

    public long Seed { get; init; } = 42;

    /// <summary>Square image side in pixels (48..512).</summary>
    public int Size { get; init; } = 64;

    /// <summary>1 or 2 objects per image. With 2, the objects differ in brightness, shape and grid cell, so their
    /// prompts differ from p2 on.</summary>
    public int ObjectsPerImage { get; init; } = 2;

    /// <summary>Split of the images (both records of an image stay together); default 0.8/0.1/0.1.</summary>
    public SplitSpec Split { get; init; } = SplitSpec.Fractions(0.8, 0.1, 0.1);

    public string? TemplatesPath { get; init; }
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}
