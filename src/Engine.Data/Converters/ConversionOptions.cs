namespace Engine.Data.Converters;

/// <summary>Options of <c>engine data prepare</c>. Unset values take each dataset's defaults.</summary>
public sealed class ConversionOptions
{
    public required string SourceDir { get; init; }
    public required string OutputDir { get; init; }
    public long Seed { get; init; } = 42;

    /// <summary>Null: the dataset's default split (e.g. 800/100/100 for Kvasir-SEG).</summary>
    public SplitSpec? Split { get; init; }

    /// <summary>Pneumothorax: keep only images with pneumothorax (the study's choice).</summary>
    public bool PositivesOnly { get; init; }

    /// <summary>CT window (level, width) in HU for abdomenct-1k.</summary>
    public (double Level, double Width) Window { get; init; } = (40, 400);

    /// <summary>abdomenct-1k: keep every N-th axial slice (by slice index).</summary>
    public int Every { get; init; } = 1;

    /// <summary>Prompt templates file; null = the shipped default.</summary>
    public string? TemplatesPath { get; init; }

    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}
