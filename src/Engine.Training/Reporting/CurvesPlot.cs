using Engine.Training.Checkpoints;

namespace Engine.Training.Reporting;

/// <summary>RUN_DIR/curves.png with ScottPlot: training and validation loss (left axis) and validation Dice and IoU
/// (right axis, 0..1) per epoch; the best epoch is marked.</summary>
public static class CurvesPlot
{
    public static void Write(string path, IReadOnlyList<EpochRecord> history, string title, int width = 900, int height = 540)
    {
        if (history.Count == 0) return;
        var plot = new ScottPlot.Plot();
        double[] xs = history.Select(e => (double)(e.Epoch + 1)).ToArray();
        var train = plot.Add.Scatter(xs, history.Select(e => e.TrainLoss).ToArray());
        train.LegendText = "train loss";
        train.Color = ScottPlot.Colors.Blue;
        var val = history.Where(e => e.ValLoss.HasValue).ToList();
        if (val.Count > 0)
        {
            var vl = plot.Add.Scatter(val.Select(e => (double)(e.Epoch + 1)).ToArray(), val.Select(e => e.ValLoss!.Value).ToArray());
            vl.LegendText = "val loss";
            vl.Color = ScottPlot.Colors.Orange;
            var dice = plot.Add.Scatter(val.Select(e => (double)(e.Epoch + 1)).ToArray(), val.Select(e => e.ValDice ?? double.NaN).ToArray());
            dice.LegendText = "val Dice";
            dice.Color = ScottPlot.Colors.Green;
            dice.Axes.YAxis = plot.Axes.Right;
            var iou = plot.Add.Scatter(val.Select(e => (double)(e.Epoch + 1)).ToArray(), val.Select(e => e.ValIoU ?? double.NaN).ToArray());
            iou.LegendText = "val IoU";
            iou.Color = ScottPlot.Colors.Purple;
            iou.LinePattern = ScottPlot.LinePattern.Dashed;
            iou.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "Dice / IoU";
            plot.Axes.SetLimitsY(0, 1, plot.Axes.Right);
        }
        var best = history.LastOrDefault(e => e.IsBest);
        if (best != null)
        {
            var line = plot.Add.VerticalLine(best.Epoch + 1);
            line.LinePattern = ScottPlot.LinePattern.Dotted;
            line.Color = ScottPlot.Colors.Gray;
            line.LegendText = $"best (epoch {best.Epoch + 1})";
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.ShowLegend(ScottPlot.Alignment.MiddleRight);
        if (xs.Length == 1) plot.Axes.SetLimitsX(0.5, 1.5);
        RunFolder.WriteFileAtomic(path, tmp => plot.SavePng(tmp, width, height));
    }
}
