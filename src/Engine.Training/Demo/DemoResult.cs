using Engine.Training.Evaluation;
using Engine.Training.Training;

namespace Engine.Training.Demo;

/// <summary>Test scores of the records whose prompt names one kind of object ("bright" or "dark") under one key.</summary>
public sealed record PromptKindScore(string PromptKey, string Kind, int Records, double DiceMean, double DiceStd, double IoUMean, string ExamplePrompt);

/// <summary>Does the model follow the prompt? On test images holding two objects, each object's prompt should select
/// that object: its predicted mask must overlap its own object more than the other one.</summary>
/// <param name="Images">Test images with two objects.</param>
/// <param name="BothCorrect">Images where both prompts picked their own object.</param>
/// <param name="MeanOverlapBetweenPrompts">Mean Dice between the two prompts' predicted masks (0 = disjoint, 1 = identical).</param>
public sealed record PromptFollowing(string PromptKey, int Images, int BothCorrect, double MeanOverlapBetweenPrompts)
{
    public double Rate => Images == 0 ? 0 : (double)BothCorrect / Images;
}

/// <summary>What <c>engine demo</c> did and measured.</summary>
public sealed record DemoResult
{
    public required string OutDir { get; init; }
    public required string DataDir { get; init; }
    public required string ModelInitDir { get; init; }
    public required string RunDir { get; init; }
    public required string EvalDir { get; init; }
    public required double DataSeconds { get; init; }
    public required double InitSeconds { get; init; }
    public required double TrainSeconds { get; init; }
    public required double TestSeconds { get; init; }
    public required double TotalSeconds { get; init; }
    public required TrainingResult Training { get; init; }
    public required EvalReport Test { get; init; }
    public required IReadOnlyList<PromptKindScore> Kinds { get; init; }
    public required IReadOnlyList<PromptFollowing> Following { get; init; }
    public required double TargetDice { get; init; }

    /// <summary>Every prompt kind reaches the target Dice and the prompts select different objects.</summary>
    public bool Passed => Kinds.Count > 0 && Kinds.All(k => k.DiceMean >= TargetDice) && Following.All(f => f.Rate >= 0.9);
}
