using System.Diagnostics;
using System.Globalization;
using Engine.Data;
using Engine.Imaging;
using Engine.Nn;
using Engine.Nn.Optim;
using Engine.Training.Checkpoints;
using Engine.Training.Data;
using Engine.Training.Evaluation;
using Engine.Training.Models;
using Engine.Training.Reporting;
using Engine.Weights;

namespace Engine.Training.Training;

/// <summary>
/// Fine-tunes a text-prompted segmentation model on a dataset in the standard layout (<c>engine train</c>).
/// <para>Per epoch: the records in a (seed, epoch)-shuffled order, batches of (image, mask, prompt) squash-resized to
/// the model's input size, optional seeded augmentation; loss = dice_weight·SoftDice + bce_weight·BCEWithLogits;
/// AdamW (no weight decay on biases and norm gains), gradient accumulation and clipping, a warmup+cosine or plateau
/// learning-rate schedule; then validation Dice/IoU at the original resolution with the family's own inference code,
/// <c>best/</c> (on validation Dice) and <c>last/</c> written atomically, metrics.csv and curves.png updated, and
/// early stopping checked. Frozen parts run without a tape.</para>
/// <para>Resume (<see cref="Resume"/>) continues from <c>last/</c> bit for bit: nothing random is carried between
/// epochs (see <see cref="EpochPlan"/>), and the weights, AdamW moments and trainer state are saved exactly.</para>
/// </summary>
public static class Trainer
{
    /// <summary>Starts a new run in <see cref="TrainOptions.RunDir"/>.</summary>
    public static TrainingResult Train(TrainOptions options, ITrainingProgress? progress = null)
    {
        options.Validate();
        progress ??= SilentProgress.Instance;
        var run = new RunFolder(options.RunDir);
        if (File.Exists(run.RunFile) || Directory.Exists(run.LastDir) || Directory.Exists(run.BestDir))
            throw new IOException($"'{run.Root}' already holds a training run; continue it with --resume {options.RunDir}, or choose another --out.");
        if (!Directory.Exists(options.ModelDir)) throw new DirectoryNotFoundException($"Model folder '{options.ModelDir}' does not exist.");
        Directory.CreateDirectory(run.Root);
        var saved = options with { ModelDir = Path.GetFullPath(options.ModelDir), DataRoot = Path.GetFullPath(options.DataRoot), RunDir = run.Root };
        saved.Save(run.RunFile);
        return Run(saved, run, null, progress);
    }

    /// <summary>Continues the run in <paramref name="runDir"/> from its <c>last/</c> checkpoint (or from the start when it
    /// was stopped before finishing an epoch). <paramref name="epochs"/> extends or shortens the planned number of epochs
    /// (note: with the cosine schedule this changes the schedule itself); <paramref name="stopAfterEpochs"/> bounds this session.</summary>
    public static TrainingResult Resume(string runDir, ITrainingProgress? progress = null, int? epochs = null, int? stopAfterEpochs = null, string? device = null,
        long? activationCacheBytes = null)
    {
        progress ??= SilentProgress.Instance;
        var run = new RunFolder(runDir);
        if (!Directory.Exists(run.Root)) throw new DirectoryNotFoundException($"Run folder '{runDir}' does not exist.");
        foreach (var note in run.Recover()) progress.Message($"resume: {note}");
        var options = TrainOptions.Load(run.RunFile) with { StopAfterEpochs = stopAfterEpochs };
        if (activationCacheBytes is { } cacheBytes) options = options with { ActivationCacheBytes = cacheBytes };
        if (epochs is { } e)
        {
            if (e != options.Epochs && options.Schedule == LrScheduleKind.Cosine)
                progress.Message($"note: --epochs {e} changes the cosine schedule planned for {options.Epochs} epochs; the continued run differs from one planned with {e} from the start.");
            options = options with { Epochs = e };
            options.Save(run.RunFile);
        }
        if (device is not null) options = options with { Device = device };
        options.Validate();
        TrainerState? state = run.HasCheckpoint(RunFolder.Last) ? TrainerStateFile.Read(run.LastDir) : null;
        if (state is null) progress.Message("resume: no finished epoch yet; starting from the beginning.");
        return Run(options, run, state, progress);
    }

    private static TrainingResult Run(TrainOptions o, RunFolder run, TrainerState? resumed, ITrainingProgress progress)
    {
        var wall = Stopwatch.StartNew();
        var device = Device.Parse(o.Device);
        var source = resumed is null ? o.ModelDir : run.LastDir;
        var template = ModelFolderTemplate.Capture(source);
        using var model = TrainableModels.Open(source, device);
        model.Configure(o.Parts);
        // At most a quarter of the memory the process may use: the cache is a speed-up, never a reason to swap.
        model.SetActivationCacheBudget(Math.Min(o.ActivationCacheBytes, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4));

        // ---- data
        var keys = o.PromptKeys;
        var trainSet = SegmentationDataset.Load(o.DataRoot, o.TrainSplit, new DatasetLoadOptions { RequiredPromptKeys = keys.ToList() });
        if (trainSet.Count == 0) throw new DatasetValidationException($"The {o.TrainSplit} split of '{o.DataRoot}' is empty.");
        SegmentationDataset? valSet = null;
        if (SegmentationDataset.AvailableSplits(o.DataRoot).Contains(o.ValSplit))
        {
            valSet = SegmentationDataset.Load(o.DataRoot, o.ValSplit, new DatasetLoadOptions { RequiredPromptKeys = new[] { keys[0] } });
            if (valSet.Count == 0) valSet = null;
        }
        var config = InputPreparation.SquashConfig(model.Preprocessing);
        long trainBudget = valSet is null ? o.CacheBytes : o.CacheBytes * 4 / 5;
        var train = new PreparedSplit(trainSet, config, trainBudget);
        var val = valSet is null ? null : new PreparedSplit(valSet, config, o.CacheBytes - trainBudget);

        // ---- optimizer and schedules
        var trainable = model.Module.NamedParameters().Where(p => p.parameter.RequiresGrad).ToList();
        if (trainable.Count == 0) throw new InvalidOperationException($"--train {o.Parts} selects no parameter of this {model.Family} model.");
        var groups = new List<ParamGroup> { new(trainable.Where(p => p.parameter.Shape.Length >= 2)) };
        var noDecay = trainable.Where(p => p.parameter.Shape.Length < 2).ToList();
        if (noDecay.Count > 0) groups.Add(new ParamGroup(noDecay, weightDecay: 0));
        var optimizer = new AdamW(groups, lr: o.LearningRate, weightDecay: o.WeightDecay);
        int batchesPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        int stepsPerEpoch = (batchesPerEpoch + o.GradAccumulation - 1) / o.GradAccumulation;
        long totalSteps = (long)stepsPerEpoch * o.Epochs;
        var cosine = o.Schedule == LrScheduleKind.Cosine
            ? new WarmupCosineLr(o.LearningRate, (long)Math.Round(o.WarmupFraction * totalSteps), totalSteps, o.MinLearningRate) : null;
        var plateau = o.Schedule == LrScheduleKind.Plateau
            ? new ReduceLrOnPlateau(optimizer, maximize: false, factor: o.PlateauFactor, patience: o.PlateauPatience, minLr: o.MinLearningRate) : null;

        var state = resumed ?? new TrainerState { LearningRate = o.LearningRate };
        if (resumed is not null)
        {
            var optFile = Path.Combine(run.LastDir, RunFolder.OptimizerFileName);
            if (!File.Exists(optFile)) throw new FileNotFoundException($"Checkpoint '{run.LastDir}' has no {RunFolder.OptimizerFileName}; it cannot be resumed.", optFile);
            optimizer.LoadStateDict(SafetensorsFile.ReadAll(optFile));
            if (plateau is not null && resumed.PlateauState is { } ps) plateau.LoadState(ps);
        }
        optimizer.LearningRate = state.LearningRate;
        var loss = new SegmentationLoss(o.DiceWeight, o.BceWeight);
        // Large models: return each step's activations to the allocator before the next forward pass instead of
        // letting garbage pile up (a full collection costs milliseconds against seconds per step).
        bool collectEachStep = model.Module.ParameterCount() > 20_000_000 || Environment.GetEnvironmentVariable("ENGINE_TRAIN_GC") == "1";

        long total = model.Module.ParameterCount(), trained = trainable.Sum(p => p.parameter.Value.Numel);
        progress.Message(string.Create(CultureInfo.InvariantCulture,
            $"{model.Family} from {source}: {trained:N0} of {total:N0} parameters train ({o.Parts}); input {config.Width}x{config.Height}; device {device}"));
        progress.Message($"data {o.DataRoot}: {train.Count} {o.TrainSplit} records" + (val is null ? $", no {o.ValSplit} split (best/ = lowest training loss)" : $", {val.Count} {o.ValSplit} records"));
        progress.Message(o.Describe());
        WarnAboutFlips(o, trainSet, progress);
        if (resumed is not null) progress.Message($"resuming after epoch {resumed.EpochsCompleted} (step {resumed.GlobalStep})");

        var history = new List<EpochRecord>(state.History);
        double trainSeconds = 0, trainCpu = 0; long trainImages = 0;
        var process = Process.GetCurrentProcess();
        var epochSeconds = new List<double>();
        int sessionEpochs = 0;
        bool finished = state.StoppedEarly || state.EpochsCompleted >= o.Epochs;
        for (int epoch = state.EpochsCompleted; !finished && epoch < o.Epochs; epoch++)
        {
            if (o.StopAfterEpochs is { } limit && sessionEpochs >= limit) break;
            var epochWatch = Stopwatch.StartNew();
            progress.EpochStarted(epoch, o.Epochs, train.Count);
            var batches = EpochPlan.Batches(o.Seed, epoch, train.Count, o.BatchSize);
            double lossSum = 0;
            long step = state.GlobalStep;
            model.Configure(o.Parts);
            optimizer.ZeroGrad();
            var trainWatch = Stopwatch.StartNew();
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            // Each optimiser step (its micro-batches' forward and backward, clipping, the update) runs in one
            // TensorScope.BeginStep: the tape's activations and the gradients go back to the pool when the step ends
            // instead of to the GC, whose freed memory comes back as fresh pages (the demo's 500 steps took 3.5
            // million page faults, ~20 % of its CPU time in the kernel, without it).
            TensorScope? stepScope = null;
            try
            {
                for (int b = 0; b < batches.Count; b++)
                {
                    int groupStart = b / o.GradAccumulation * o.GradAccumulation;
                    int groupCount = Math.Min(o.GradAccumulation, batches.Count - groupStart);
                    if (b == groupStart) stepScope = TensorScope.BeginStep();
                    var records = batches[b];
                    var prompts = records.Select(r => EpochPlan.Prompt(trainSet, keys, o.Seed, epoch, r)).ToArray();
                    var batch = BatchAssembler.Assemble(train, records, prompts, o.Augmentation, o.Seed, epoch);
                    if (cosine is not null) optimizer.LearningRate = cosine.LearningRateAt(step);

                    var logits = model.Forward(batch.Pixels.To(device), batch.Prompts);
                    if (logits.Shape[1] != train.Height || logits.Shape[2] != train.Width)
                        logits = Ops.Interpolate(logits.Unsqueeze(1), train.Height, train.Width, InterpolationMode.Bilinear).Squeeze(1);
                    var l = loss.Compute(logits, batch.Targets.To(device));
                    double value = l.Item();
                    if (!double.IsFinite(value))
                        throw new InvalidOperationException($"The training loss became {value} at epoch {epoch + 1}, batch {b + 1}; lower --lr or enable --clip-grad. '{run.LastDir}' still holds the last good epoch.");
                    (groupCount > 1 ? Ops.Mul(l, 1f / groupCount) : l).Backward();
                    if (b - groupStart == groupCount - 1)
                    {
                        if (o.MaxGradNorm > 0) GradClip.ClipGradNorm(trainable.Select(p => p.parameter), o.MaxGradNorm);
                        optimizer.Step();
                        optimizer.ZeroGrad();
                        stepScope?.Dispose();
                        stepScope = null;
                        step++;
                        if (collectEachStep) GC.Collect();
                    }
                    lossSum += value * records.Length;
                    progress.BatchCompleted(records.Length, value, optimizer.LearningRate);
                }
            }
            finally
            {
                // A failed step still closes its scope (scopes nest per thread); its gradients go with it.
                if (stepScope is not null) { optimizer.ZeroGrad(); stepScope.Dispose(); }
            }
            trainWatch.Stop();
            process.Refresh();
            trainCpu += (process.TotalProcessorTime - cpuStart).TotalSeconds;
            double lrUsed = optimizer.LearningRate;
            trainSeconds += trainWatch.Elapsed.TotalSeconds; trainImages += train.Count;
            double trainLoss = lossSum / train.Count;

            var (valLoss, valDice, valIoU) = val is null ? (null, null, null) : Validate(model, val, o, loss, device, progress);
            plateau?.Step(valLoss ?? trainLoss);
            double score = valDice ?? -trainLoss;
            bool better = state.BestScore is null || score > state.BestScore.Value;
            int without = better ? 0 : state.EpochsWithoutImprovement + 1;
            bool stopEarly = o.EarlyStoppingPatience > 0 && valDice is not null && without >= o.EarlyStoppingPatience;
            epochWatch.Stop();
            var record = new EpochRecord(epoch, trainLoss, valLoss, valDice, valIoU, lrUsed, epochWatch.Elapsed.TotalSeconds,
                train.Count / Math.Max(1e-9, trainWatch.Elapsed.TotalSeconds), better);
            history.Add(record);
            state = state with
            {
                EpochsCompleted = epoch + 1, GlobalStep = step, LearningRate = optimizer.LearningRate,
                BestScore = better ? score : state.BestScore, BestEpoch = better ? epoch : state.BestEpoch,
                EpochsWithoutImprovement = without, PlateauState = plateau?.SaveState(), StoppedEarly = stopEarly,
                History = new List<EpochRecord>(history),
            };
            // best/ first: if the run dies before last/ is replaced, the resumed run redoes this epoch and rewrites best/ identically.
            if (better) WriteCheckpoint(run, RunFolder.Best, template, model, optimizer, state);
            WriteCheckpoint(run, RunFolder.Last, template, model, optimizer, state);
            MetricsCsv.Write(run.MetricsFile, history);
            CurvesPlot.Write(run.CurvesFile, history, $"{model.Family} · {string.Join(",", keys)} · train {o.Parts}");
            sessionEpochs++;
            epochSeconds.Add(epochWatch.Elapsed.TotalSeconds);
            int left = o.Epochs - (epoch + 1);
            progress.EpochCompleted(record, left > 0 && !stopEarly ? TimeSpan.FromSeconds(epochSeconds.Average() * left) : null);
            if (stopEarly)
            {
                progress.Message($"early stopping: validation Dice has not improved for {without} epochs (best {state.BestScore:F4} at epoch {state.BestEpoch + 1}).");
                finished = true;
            }
            if (epoch + 1 >= o.Epochs) finished = true;
        }
        if (history.Count > 0 && sessionEpochs == 0)
        {
            // Nothing ran (already finished): refresh the reports anyway.
            MetricsCsv.Write(run.MetricsFile, history);
            CurvesPlot.Write(run.CurvesFile, history, $"{model.Family} · {string.Join(",", keys)} · train {o.Parts}");
        }
        var bestRecord = state.BestEpoch >= 0 ? history.FirstOrDefault(h => h.Epoch == state.BestEpoch) : null;
        return new TrainingResult
        {
            RunDir = run.Root, EpochsCompleted = state.EpochsCompleted, TotalEpochs = o.Epochs, BestEpoch = state.BestEpoch,
            BestValDice = bestRecord?.ValDice, StoppedEarly = state.StoppedEarly, Finished = finished || state.StoppedEarly, History = history,
            TrainImagesPerSecond = trainSeconds > 0 ? trainImages / trainSeconds : 0, TrainCpuSeconds = trainCpu,
            PeakWorkingSetBytes = Process.GetCurrentProcess().PeakWorkingSet64, Seconds = wall.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Validation loss (same formula as training, at the model's size) and Dice/IoU at the original resolution
    /// with the first prompt key's first variant, through the family's inference code.</summary>
    private static (double?, double?, double?) Validate(ITrainableSegmentationModel model, PreparedSplit val, TrainOptions o,
        SegmentationLoss loss, Device device, ITrainingProgress progress)
    {
        model.Module.Eval();
        try
        {
            using var segmenter = model.CreateSegmenter();
            var losses = new double[val.Count];
            var settings = new EvaluationSettings { Threshold = o.Threshold, BatchSize = o.EvalBatchSize };
            var result = SegmentationEvaluator.Evaluate(new SegmenterPredictor(segmenter, device), val, o.PromptKeys[0], settings, null,
                (r, map, w, h) =>
                {
                    var target = val.ResizedMask(r);
                    if (w != val.Width || h != val.Height) map = MapResize.Bilinear(map, w, h, val.Width, val.Height);
                    losses[r] = loss.Reference(map, target);
                },
                progress.ValidationProgress);
            if (result.Skipped)
            {
                progress.Message($"validation skipped: {result.SkippedReason}");
                return (null, null, null);
            }
            var (mean, _) = result.Summary();
            return (losses.Average(), mean.Dice, mean.IoU);
        }
        finally
        {
            model.Configure(o.Parts);
        }
    }

    private static void WriteCheckpoint(RunFolder run, string name, ModelFolderTemplate template, ITrainableSegmentationModel model, AdamW optimizer, TrainerState state)
        => run.WriteCheckpoint(name, dir =>
        {
            template.WriteModel(dir, model.Module.StateDict(), new Dictionary<string, string>
            {
                ["engine_epoch"] = state.EpochsCompleted.ToString(CultureInfo.InvariantCulture),
            });
            var opt = optimizer.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.To(Device.Cpu).Contiguous(), StringComparer.Ordinal);
            SafetensorsFile.Write(Path.Combine(dir, RunFolder.OptimizerFileName), opt);
            TrainerStateFile.Write(dir, state);
        });

    private static void WarnAboutFlips(TrainOptions o, SegmentationDataset train, ITrainingProgress progress)
    {
        if (!o.Augmentation.HorizontalFlip && !o.Augmentation.VerticalFlip) return;
        string[] words = { "left", "right", "top", "bottom" };
        for (int i = 0; i < Math.Min(train.Count, 200); i++)
            foreach (var k in o.PromptKeys)
                if (train.PromptVariants(i, k).Any(p => words.Any(w => p.Contains(w, StringComparison.OrdinalIgnoreCase))))
                {
                    progress.Message($"warning: prompt {k} names locations (\"{train.Prompt(i, k)}\") but --augment flips images; flipped samples contradict their prompts.");
                    return;
                }
    }
}
