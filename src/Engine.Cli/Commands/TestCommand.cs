using System.CommandLine;
using System.Globalization;
using Engine.Training.Evaluation;
using Spectre.Console;

namespace Engine.Cli.Commands;

/// <summary>`engine test --model DIR --data ROOT --split test --prompt p4|p1,p4|all --out EVAL_DIR [--threshold T]
/// [--save-masks] [--zero-shot]`: per-image metrics at the original resolution (thin shell over ModelEvaluator).</summary>
public sealed class TestCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model folder (fine-tuned run folder's best/, or a downloaded model for --zero-shot).", Required = true };
        var data = new Option<string>("--data") { Description = "Dataset root (images/, masks/, anns/).", Required = true };
        var split = new Option<string>("--split") { Description = "Split to evaluate.", DefaultValueFactory = _ => "test" };
        var prompt = new Option<string>("--prompt") { Description = "Prompt key (p4), a list (p1,p4), or all: one result per key (prompt-sensitivity table).", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for per_image.csv, summary.json, prompt_sensitivity.csv and saved masks.", Required = true };
        var threshold = new Option<float?>("--threshold") { Description = "Probability threshold (default: the family's, 0.5 for CLIPSeg)." };
        var save = new Option<bool>("--save-masks") { Description = "Write predicted masks, probability maps, overlays (and label maps on multi-class data)." };
        var zeroShot = new Option<bool>("--zero-shot") { Description = "Mark the evaluation as zero-shot (a model that was never fine-tuned)." };
        var batch = new Option<int>("--batch-size") { Description = "Images per model call.", DefaultValueFactory = _ => 8 };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda, cuda:N, ilgpu-cpu.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("test", "Evaluate a segmentation model on a dataset split: Dice, IoU, precision, recall, HD95 per image.")
            { model, data, split, prompt, output, threshold, save, zeroShot, batch, device };
        cmd.SetAction(p =>
        {
            var (keys, all) = EvalOptions.ParsePromptKeys(p.GetValue(prompt)!);
            var options = new EvalOptions
            {
                ModelDir = p.GetValue(model)!, DataRoot = p.GetValue(data)!, Split = p.GetValue(split)!, PromptKeys = keys, AllPromptKeys = all,
                OutDir = p.GetValue(output)!, Threshold = p.GetValue(threshold), SaveMasks = p.GetValue(save), ZeroShot = p.GetValue(zeroShot),
                BatchSize = p.GetValue(batch), Device = p.GetValue(device)!,
            };
            EvalReport report;
            if (AnsiConsole.Profile.Capabilities.Interactive)
            {
                EvalReport? r = null;
                AnsiConsole.Progress().AutoClear(true).HideCompleted(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var tasks = new Dictionary<string, ProgressTask>();
                        r = ModelEvaluator.Run(options, null, (key, done, total) =>
                        {
                            if (!tasks.TryGetValue(key, out var t)) tasks[key] = t = ctx.AddTask(Markup.Escape($"{key}"), maxValue: total);
                            t.Value = done;
                        });
                    });
                report = r!;
            }
            else report = ModelEvaluator.Run(options);
            Print(report);
            if (options.ZeroShot && File.Exists(Path.Combine(options.ModelDir, "trainer_state.json")))
                Console.WriteLine($"note: --zero-shot, but '{options.ModelDir}' was written by engine train (it holds trainer_state.json).");
            return 0;
        });
        return cmd;
    }

    private static void Print(EvalReport report)
    {
        var ic = CultureInfo.InvariantCulture;
        var table = new Table().AddColumns("prompt", "example", "n", "Dice", "IoU", "precision", "recall", "HD95");
        foreach (var k in report.Keys)
        {
            if (k.Skipped) { table.AddRow(Markup.Escape(k.PromptKey), Markup.Escape($"skipped: {k.SkippedReason}"), "0", "", "", "", "", ""); continue; }
            var (m, s) = k.Summary();
            string Cell(double mean, double std) => string.Create(ic, $"{mean:F4} ± {std:F4}");
            var example = k.Rows.Count > 0 ? k.Rows[0].Prompt : "";
            if (example.Length > 48) example = example[..45] + "...";
            table.AddRow(Markup.Escape(k.PromptKey), Markup.Escape(example), k.Rows.Count.ToString(ic), Cell(m.Dice, s.Dice), Cell(m.IoU, s.IoU),
                Cell(m.Precision, s.Precision), Cell(m.Recall, s.Recall), string.Create(ic, $"{m.Hd95:F2}"));
        }
        AnsiConsole.Write(table);
        Console.WriteLine($"{report.Family} on {report.DataRoot} ({report.Split}, {report.Images} images, threshold {report.Threshold.ToString(ic)}{(report.ZeroShot ? ", zero-shot" : "")}) -> {report.OutDir}");
    }
}
