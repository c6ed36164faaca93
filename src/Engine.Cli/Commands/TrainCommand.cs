using System.CommandLine;
using System.Globalization;
using Engine.Training.Data;
using Engine.Training.Models;
using Engine.Training.Reporting;
using Engine.Training.Training;

namespace Engine.Cli.Commands;

/// <summary>`engine train --model DIR --data ROOT --prompt p4 --out RUN_DIR [options]` or `engine train --resume RUN_DIR`:
/// fine-tunes a segmentation model (thin shell over Engine.Training.Training.Trainer).</summary>
public sealed class TrainCommand : ICliCommand
{
    public Command Build()
    {
        var d = new TrainOptions { ModelDir = "", DataRoot = "", PromptKeys = new[] { "p1" }, RunDir = "" };
        var model = new Option<string?>("--model") { Description = "Model folder to fine-tune (any trainable family: clipseg, biomedclipseg)." };
        var data = new Option<string?>("--data") { Description = "Dataset root (images/, masks/, anns/{train,val,test}.json)." };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt key to train with (e.g. p4), or a comma list: each record draws one key per epoch." };
        var output = new Option<string?>("--out") { Description = "Run folder to create (best/, last/, metrics.csv, curves.png)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder from last/ (options come from its run.json)." };
        var train = new Option<string>("--train") { Description = "Parts to train: decoder, all, or a list such as decoder,text.", DefaultValueFactory = _ => "decoder" };
        var epochs = new Option<int?>("--epochs") { Description = $"Epochs (default {d.Epochs}; with --resume: change the planned total)." };
        var batch = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => d.BatchSize };
        var accum = new Option<int>("--accum") { Description = "Gradient accumulation: batches per optimizer step.", DefaultValueFactory = _ => d.GradAccumulation };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay (not applied to biases and norm gains).", DefaultValueFactory = _ => d.WeightDecay };
        var clip = new Option<double>("--clip-grad") { Description = "Clip the global gradient L2 norm to this (0 = off).", DefaultValueFactory = _ => d.MaxGradNorm };
        var schedule = new Option<string>("--lr-schedule") { Description = "plateau (ReduceLROnPlateau on val loss), cosine (warmup + cosine) or constant.", DefaultValueFactory = _ => "plateau" };
        var warmup = new Option<double>("--warmup") { Description = "Cosine: share of steps spent in linear warmup.", DefaultValueFactory = _ => d.WarmupFraction };
        var minLr = new Option<double>("--min-lr") { Description = "Cosine: final learning rate; plateau: lower bound.", DefaultValueFactory = _ => d.MinLearningRate };
        var pFactor = new Option<double>("--plateau-factor") { Description = "Plateau: multiply the learning rate by this.", DefaultValueFactory = _ => d.PlateauFactor };
        var pPatience = new Option<int>("--plateau-patience") { Description = "Plateau: epochs without val-loss improvement before reducing.", DefaultValueFactory = _ => d.PlateauPatience };
        var patience = new Option<int>("--patience") { Description = "Early stopping: epochs without a better val Dice (0 = off).", DefaultValueFactory = _ => d.EarlyStoppingPatience };
        var diceW = new Option<double>("--dice-weight") { Description = "Weight of the soft Dice loss.", DefaultValueFactory = _ => d.DiceWeight };
        var bceW = new Option<double>("--bce-weight") { Description = "Weight of the BCE-with-logits loss.", DefaultValueFactory = _ => d.BceWeight };
        var augment = new Option<string>("--augment") { Description = "none, all, or a list of hflip, vflip, flip, rotate[=DEG], scale[=F], brightness[=F], contrast[=F], intensity.", DefaultValueFactory = _ => "none" };
        var seed = new Option<int>("--seed") { Description = "Seed of data order, prompt variants and augmentation.", DefaultValueFactory = _ => d.Seed };
        var threshold = new Option<float?>("--threshold") { Description = "Validation probability threshold (default: the family's, 0.5 for CLIPSeg)." };
        var trainSplit = new Option<string>("--train-split") { Description = "Training split.", DefaultValueFactory = _ => d.TrainSplit };
        var valSplit = new Option<string>("--val-split") { Description = "Validation split (skipped when the dataset has none).", DefaultValueFactory = _ => d.ValSplit };
        var device = new Option<string?>("--device") { Description = "auto, cpu, cuda, cuda:N, ilgpu-cpu (default cpu; with --resume: the run's)." };
        var cache = new Option<int>("--cache-mb") { Description = "Memory for decoded, resized samples (MiB).", DefaultValueFactory = _ => (int)(d.CacheBytes >> 20) };
        var activationCache = new Option<int>("--activation-cache-mb") { Description = "Memory for the frozen vision tower's activations, reused every epoch (MiB, at most a quarter of the available memory; 0 = off; same results either way).", DefaultValueFactory = _ => (int)(d.ActivationCacheBytes >> 20) };
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop after this many epochs in this session (continue later with --resume)." };
        var cmd = new Command("train", "Fine-tune a segmentation model on a dataset; writes RUN_DIR/best, RUN_DIR/last, metrics.csv and curves.png.")
            { model, data, prompt, output, resume, train, epochs, batch, accum, lr, wd, clip, schedule, warmup, minLr, pFactor, pPatience, patience, diceW, bceW, augment, seed, threshold, trainSplit, valSplit, device, cache, activationCache, stopAfter };
        cmd.SetAction(p =>
        {
            TrainingResult result;
            if (p.GetValue(resume) is { } runDir)
            {
                foreach (var (o, name) in new (Option, string)[] { (model, "--model"), (data, "--data"), (prompt, "--prompt"), (output, "--out") })
                    if (p.GetResult(o) is { Implicit: false }) throw new ArgumentException($"{name} cannot be combined with --resume: a resumed run keeps the options in {runDir}/run.json.");
                result = ConsoleTrainingProgress.Run(progress => Trainer.Resume(runDir, progress, p.GetValue(epochs), p.GetValue(stopAfter), p.GetValue(device),
                    (long)Math.Max(0, p.GetValue(activationCache)) << 20));
            }
            else
            {
                string Need(Option<string?> o, string name) => p.GetValue(o) ?? throw new ArgumentException($"{name} is required (or use --resume RUN_DIR).");
                var options = new TrainOptions
                {
                    ModelDir = Need(model, "--model"), DataRoot = Need(data, "--data"), RunDir = Need(output, "--out"),
                    PromptKeys = Need(prompt, "--prompt").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList(),
                    Parts = TrainableParts.Parse(p.GetValue(train)!), Epochs = p.GetValue(epochs) ?? d.Epochs, BatchSize = p.GetValue(batch),
                    GradAccumulation = p.GetValue(accum), LearningRate = p.GetValue(lr), WeightDecay = p.GetValue(wd), MaxGradNorm = p.GetValue(clip),
                    Schedule = TrainOptions.ParseSchedule(p.GetValue(schedule)!), WarmupFraction = p.GetValue(warmup), MinLearningRate = p.GetValue(minLr),
                    PlateauFactor = p.GetValue(pFactor), PlateauPatience = p.GetValue(pPatience), EarlyStoppingPatience = p.GetValue(patience),
                    DiceWeight = p.GetValue(diceW), BceWeight = p.GetValue(bceW), Augmentation = AugmentationOptions.Parse(p.GetValue(augment)),
                    Seed = p.GetValue(seed), Threshold = p.GetValue(threshold), TrainSplit = p.GetValue(trainSplit)!, ValSplit = p.GetValue(valSplit)!,
                    Device = p.GetValue(device) ?? "cpu", CacheBytes = (long)Math.Max(0, p.GetValue(cache)) << 20, StopAfterEpochs = p.GetValue(stopAfter),
                    ActivationCacheBytes = (long)Math.Max(0, p.GetValue(activationCache)) << 20,
                };
                result = ConsoleTrainingProgress.Run(progress => Trainer.Train(options, progress));
            }
            Console.WriteLine(Summary(result));
            return 0;
        });
        return cmd;
    }

    private static string Summary(TrainingResult r)
    {
        var ic = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(ic, $"{(r.Finished ? "finished" : "paused")} after epoch {r.EpochsCompleted}/{r.TotalEpochs}{(r.StoppedEarly ? " (early stop)" : "")} in {r.Seconds:F1} s; training {r.TrainImagesPerSecond:F1} images/s ({r.TrainCpuSeconds:F0} CPU-s in training loops); peak memory {r.PeakWorkingSetBytes / (1024.0 * 1024):F0} MiB"),
        };
        if (r.BestEpoch >= 0)
            lines.Add(r.BestValDice is { } dice
                ? string.Create(ic, $"best: epoch {r.BestEpoch + 1}, val Dice {dice:F4} -> {r.BestDir}")
                : $"best: epoch {r.BestEpoch + 1} (lowest training loss) -> {r.BestDir}");
        lines.Add($"last: {r.LastDir}; metrics: {Path.Combine(r.RunDir, "metrics.csv")}; curves: {Path.Combine(r.RunDir, "curves.png")}");
        if (!r.Finished) lines.Add($"continue with: engine train --resume {r.RunDir}");
        return string.Join(Environment.NewLine, lines);
    }
}
