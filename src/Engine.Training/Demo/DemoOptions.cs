using Engine.Training.Models;
using Engine.Training.Training;

namespace Engine.Training.Demo;

/// <summary>Options of <c>engine demo</c>. The defaults are tuned so the tiny CLIPSeg, trained from random weights on 2
/// CPU cores in a few minutes, follows the prompt (test Dice &gt;= 0.8 for the bright and for the dark object).</summary>
public sealed record DemoOptions
{
    public string OutDir { get; init; } = "demo-out";
    public int Seed { get; init; } = 42;
    /// <summary>Folder with the CLIP vocab.json and merges.txt; null = ../shared/vocab/clip next to the repository.</summary>
    public string? VocabDir { get; init; }
    /// <summary>Synthetic images (two objects each; split 0.8/0.1/0.1).</summary>
    public int Images { get; init; } = 200;
    public int Epochs { get; init; } = 25;
    /// <summary>Model input size (the tiny preset's processor says 96; CLIPSeg interpolates its position table to any
    /// size, as the real model runs its 224-pixel CLIP at 352). Larger inputs give finer masks at more cost.</summary>
    public int InputSize { get; init; } = 160;
    public IReadOnlyList<string> PromptKeys { get; init; } = new[] { "p4" };
    public TrainableParts Parts { get; init; } = TrainableParts.All;
    public int BatchSize { get; init; } = 8;
    public double LearningRate { get; init; } = 3e-3;
    public double WeightDecay { get; init; } = 1e-2;
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Cosine;
    public double WarmupFraction { get; init; } = 0.05;
    public string Device { get; init; } = "cpu";
    /// <summary>Test Dice every prompt kind must reach for the demo to pass.</summary>
    public double TargetDice { get; init; } = 0.8;
}
