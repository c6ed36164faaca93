using Engine.Training.Checkpoints;

namespace Engine.Training.Training;

/// <summary>Outcome of a (possibly partial) training session.</summary>
public sealed record TrainingResult
{
    public required string RunDir { get; init; }
    public required int EpochsCompleted { get; init; }
    public required int TotalEpochs { get; init; }
    /// <summary>0-based best epoch, -1 when none.</summary>
    public required int BestEpoch { get; init; }
    public double? BestValDice { get; init; }
    public bool StoppedEarly { get; init; }
    /// <summary>True when the run reached its last epoch or stopped early (nothing left to resume).</summary>
    public bool Finished { get; init; }
    public required IReadOnlyList<EpochRecord> History { get; init; }
    /// <summary>Training images per second over this session's epochs (forward + backward + optimizer step, data preparation included; validation excluded).</summary>
    public double TrainImagesPerSecond { get; init; }
    /// <summary>Process CPU time (all threads) spent in this session's training loops: with <see cref="TrainImagesPerSecond"/>
    /// it tells how much of the wall time the run actually computed (on a shared machine).</summary>
    public double TrainCpuSeconds { get; init; }
    /// <summary>Peak working set of the process (bytes).</summary>
    public long PeakWorkingSetBytes { get; init; }
    public double Seconds { get; init; }

    public string BestDir => Path.Combine(RunDir, RunFolder.Best);
    public string LastDir => Path.Combine(RunDir, RunFolder.Last);
}
