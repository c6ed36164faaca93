namespace Engine.Data;

/// <summary>How much <see cref="SegmentationDataset.Load"/> checks up front.</summary>
public sealed class DatasetLoadOptions
{
    /// <summary>Decode every mask (binary 0/255?) and read every image header (same size as its mask?). Off: only
    /// file existence is checked at load, and sizes/binarity when a sample is loaded.</summary>
    public bool CheckPixels { get; init; } = true;

    /// <summary>Prompt keys every record must have (e.g. the --prompt of a training run); checked at load.</summary>
    public IReadOnlyList<string> RequiredPromptKeys { get; init; } = [];

    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>At most this many problems are listed in one validation error.</summary>
    public int MaxReportedProblems { get; init; } = 10;
}
