using System.Globalization;
using Engine.Training.Checkpoints;

namespace Engine.Training.Reporting;

/// <summary>The one-line summary of an epoch.</summary>
public static class EpochLine
{
    public static string Format(EpochRecord e, TimeSpan? remaining)
    {
        var s = string.Create(CultureInfo.InvariantCulture,
            $"epoch {e.Epoch + 1}: train loss {e.TrainLoss:F4}");
        if (e.ValLoss is { } vl) s += string.Create(CultureInfo.InvariantCulture, $", val loss {vl:F4}, val Dice {e.ValDice:F4}, IoU {e.ValIoU:F4}");
        s += string.Create(CultureInfo.InvariantCulture, $", lr {e.LearningRate:G3}, {e.TrainImagesPerSecond:F1} img/s, {e.Seconds:F1} s");
        if (e.IsBest) s += " (best)";
        if (remaining is { } r) s += $", ETA {Duration(r)}";
        return s;
    }

    public static string Duration(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:F0}s";
}
