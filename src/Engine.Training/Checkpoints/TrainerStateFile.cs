using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Training.Checkpoints;

/// <summary>One finished epoch, as written to metrics.csv and drawn in curves.png.</summary>
public sealed record EpochRecord(
    int Epoch, double TrainLoss, double? ValLoss, double? ValDice, double? ValIoU,
    double LearningRate, double Seconds, double TrainImagesPerSecond, bool IsBest);

/// <summary>
/// Everything besides weights and optimizer moments that the next epoch depends on. It holds no random-generator
/// state: data order, prompt draws and augmentation are functions of (seed, epoch), so this plus the weights and the
/// optimizer state resume a run exactly.
/// </summary>
public sealed record TrainerState
{
    public int FormatVersion { get; init; } = 1;
    /// <summary>Epochs finished (the next epoch to run, 0-based).</summary>
    public int EpochsCompleted { get; init; }
    /// <summary>Optimizer steps taken (drives warmup + cosine).</summary>
    public long GlobalStep { get; init; }
    /// <summary>The optimizer's learning rate after the last epoch (ReduceLROnPlateau changes it).</summary>
    public double LearningRate { get; init; }
    /// <summary>Best validation Dice so far (or, without validation, minus the best training loss); null before any epoch.</summary>
    public double? BestScore { get; init; }
    public int BestEpoch { get; init; } = -1;
    public int EpochsWithoutImprovement { get; init; }
    /// <summary>ReduceLROnPlateau state (best, bad epochs, cooldown counter).</summary>
    public double[]? PlateauState { get; init; }
    public bool StoppedEarly { get; init; }
    public List<EpochRecord> History { get; init; } = new();
}

/// <summary>Reads and writes <c>trainer_state.json</c> (doubles round-trip exactly; infinities as strings).</summary>
public static class TrainerStateFile
{
    public const string FileName = "trainer_state.json";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(string folder, TrainerState state)
        => RunFolder.WriteFileAtomic(Path.Combine(folder, FileName), tmp => File.WriteAllText(tmp, JsonSerializer.Serialize(state, Options) + "\n"));

    public static TrainerState Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{folder}' is not a training checkpoint: {FileName} is missing.", path);
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Options)
                   ?? throw new InvalidDataException($"'{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid trainer state: {e.Message}", e);
        }
    }
}
