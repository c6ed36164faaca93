using System.Globalization;
using Engine.Training.Checkpoints;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Engine.Training.Reporting;

/// <summary>
/// Spectre.Console progress display of a training run: one bar per epoch with the running loss, learning rate,
/// throughput (images/s) and ETA, a bar for validation, and one summary line per finished epoch. Falls back to plain
/// lines when the console is not interactive (redirected output, CI logs).
/// </summary>
public static class ConsoleTrainingProgress
{
    public static T Run<T>(Func<ITrainingProgress, T> body)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) return body(new TextProgress(Console.Out));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ImagesPerSecondColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .Start(ctx => result = body(new Sink(ctx)));
        return result;
    }

    /// <summary>Speed of the task (its value counts images) as images per second.</summary>
    private sealed class ImagesPerSecondColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
            => new Spectre.Console.Text(task.Speed is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s,7:F1} img/s") : "", new Style(Color.Grey));
    }

    private sealed class Sink(ProgressContext ctx) : ITrainingProgress
    {
        private ProgressTask? _epoch, _validation;
        private string _epochName = "";
        private double _lossSum;
        private int _seen;

        public void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));

        public void EpochStarted(int epoch, int totalEpochs, int samples)
        {
            _epochName = $"epoch {epoch + 1}/{totalEpochs}";
            _lossSum = 0; _seen = 0;
            _epoch = ctx.AddTask(Markup.Escape(_epochName), maxValue: Math.Max(1, samples));
        }

        public void BatchCompleted(int samples, double loss, double learningRate)
        {
            if (_epoch is null) return;
            _lossSum += loss * samples; _seen += samples;
            _epoch.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{_epochName} loss {_lossSum / _seen:F4} lr {learningRate:G3}"));
            _epoch.Increment(samples);
        }

        public void ValidationProgress(int done, int total)
        {
            if (_validation is null || _validation.IsFinished) _validation = ctx.AddTask("validating", maxValue: Math.Max(1, total));
            _validation.Value = done;
            if (done >= total) _validation.StopTask();
        }

        public void EpochCompleted(EpochRecord record, TimeSpan? remaining)
        {
            _epoch?.StopTask();
            _validation?.StopTask();
            AnsiConsole.MarkupLine((record.IsBest ? "[green]" : "[default]") + Markup.Escape(EpochLine.Format(record, remaining)) + "[/]");
        }
    }
}
