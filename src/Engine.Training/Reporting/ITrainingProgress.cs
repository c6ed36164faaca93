using Engine.Training.Checkpoints;

namespace Engine.Training.Reporting;

/// <summary>What the trainer reports while it runs (a console progress bar, a log, or nothing).</summary>
public interface ITrainingProgress
{
    /// <summary>A line of information (setup summary, warnings, checkpoint notes).</summary>
    void Message(string text);

    void EpochStarted(int epoch, int totalEpochs, int samples);

    /// <param name="samples">Samples in the batch just trained.</param>
    /// <param name="loss">Its loss.</param>
    void BatchCompleted(int samples, double loss, double learningRate);

    void ValidationProgress(int done, int total);

    void EpochCompleted(EpochRecord record, TimeSpan? remaining);
}

/// <summary>Reports nothing (tests, library hosts).</summary>
public sealed class SilentProgress : ITrainingProgress
{
    public static SilentProgress Instance { get; } = new();
    public void Message(string text) { }
    public void EpochStarted(int epoch, int totalEpochs, int samples) { }
    public void BatchCompleted(int samples, double loss, double learningRate) { }
    public void ValidationProgress(int done, int total) { }
    public void EpochCompleted(EpochRecord record, TimeSpan? remaining) { }
}

/// <summary>Plain text lines, one per epoch (logs, redirected output).</summary>
public sealed class TextProgress(TextWriter writer) : ITrainingProgress
{
    public void Message(string text) => writer.WriteLine(text);
    public void EpochStarted(int epoch, int totalEpochs, int samples) { }
    public void BatchCompleted(int samples, double loss, double learningRate) { }
    public void ValidationProgress(int done, int total) { }
    public void EpochCompleted(EpochRecord record, TimeSpan? remaining) => writer.WriteLine(EpochLine.Format(record, remaining));
}
