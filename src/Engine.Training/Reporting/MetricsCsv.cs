using System.Globalization;
using System.Text;
using Engine.Training.Checkpoints;

namespace Engine.Training.Reporting;

/// <summary>RUN_DIR/metrics.csv: one row per epoch, regenerated from the trainer state's history (so it always
/// matches the checkpoint a resumed run continues from).</summary>
public static class MetricsCsv
{
    public const string Header = "epoch,train_loss,val_loss,val_dice,val_iou,lr,epoch_seconds,train_images_per_s,best";

    public static string Format(IEnumerable<EpochRecord> history)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var e in history)
            sb.Append(string.Join(",",
                (e.Epoch + 1).ToString(CultureInfo.InvariantCulture), F(e.TrainLoss), F(e.ValLoss), F(e.ValDice), F(e.ValIoU),
                e.LearningRate.ToString("G6", CultureInfo.InvariantCulture), e.Seconds.ToString("F2", CultureInfo.InvariantCulture),
                e.TrainImagesPerSecond.ToString("F2", CultureInfo.InvariantCulture), e.IsBest ? "1" : "0")).Append('\n');
        return sb.ToString();
    }

    public static void Write(string path, IEnumerable<EpochRecord> history)
        => RunFolder.WriteFileAtomic(path, tmp => File.WriteAllText(tmp, Format(history)));

    private static string F(double? v) => v is { } x ? x.ToString("F6", CultureInfo.InvariantCulture) : "";
}
