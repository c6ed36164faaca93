using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Engine.Data;
using Engine.Data.Converters;
using Engine.Data.Metrics;
using Engine.Data.Synthetic;
using Engine.Models.Loading;
using Engine.Training.Checkpoints;
using Engine.Training.Evaluation;
using Engine.Training.Reporting;
using Engine.Training.Training;

namespace Engine.Training.Demo;

/// <summary>
/// <c>engine demo</c>: the whole job on a fresh clone without a download — the synthetic dataset (bright and dark
/// blobs on textured noise, prompts naming size, brightness and shape), a random tiny CLIPSeg made by the
/// <c>engine init --family clipseg --preset tiny</c> code with the real CLIP vocabulary, fine-tuning, testing with
/// the segmentation pipeline, metrics, curves and overlays, and a check that the model follows the prompt (the two
/// prompts of an image select two different objects).
/// </summary>
public static class DemoRunner
{
    public const string MontageFileName = "demo_overlays.png";

    public static DemoResult Run(DemoOptions o, ITrainingProgress progress)
    {
        var total = Stopwatch.StartNew();
        var vocab = RepositoryPaths.FindClipVocabulary(o.VocabDir);
        var outDir = Path.GetFullPath(o.OutDir);
        string data = Path.Combine(outDir, "data"), init = Path.Combine(outDir, "model-init"), run = Path.Combine(outDir, "run"), eval = Path.Combine(outDir, "eval");
        Directory.CreateDirectory(outDir);
        // A re-run starts afresh (the dataset is regenerated idempotently); only folders an earlier demo made are removed.
        foreach (var (dir, marker) in new[] { (run, RunFolder.RunFileName), (eval, EvalReport.SummaryFile), (init, "config.json") })
        {
            if (!Directory.Exists(dir)) continue;
            if (Directory.EnumerateFileSystemEntries(dir).Any() && !File.Exists(Path.Combine(dir, marker)))
                throw new IOException($"'{dir}' exists and was not made by engine demo (no {marker}); choose another --out.");
            Directory.Delete(dir, recursive: true);
        }

        var watch = Stopwatch.StartNew();
        progress.Message($"1/4 synthetic dataset: {o.Images} images of 64x64 with a bright and a dark blob -> {data}");
        var synth = SyntheticDatasetGenerator.Generate(new SyntheticOptions { OutputDir = data, Count = o.Images, Seed = o.Seed, Size = 64, ObjectsPerImage = 2 }, NullConversionLog.Instance);
        double dataSeconds = watch.Elapsed.TotalSeconds;

        watch.Restart();
        progress.Message($"2/4 tiny CLIPSeg (random weights, CLIP vocabulary from {vocab}) -> {init}");
        progress.Message("    " + ModelFamilies.Initializer("clipseg").Initialize(new ModelInitRequest(init, "tiny", vocab, o.Seed, new Dictionary<string, string>())));
        SetInputSize(init, o.InputSize);
        progress.Message($"    input size {o.InputSize}x{o.InputSize} (preprocessor_config.json)");
        double initSeconds = watch.Elapsed.TotalSeconds;

        watch.Restart();
        progress.Message($"3/4 fine-tuning ({o.Parts}) -> {run}");
        var training = Trainer.Train(new TrainOptions
        {
            ModelDir = init, DataRoot = data, PromptKeys = o.PromptKeys, RunDir = run, Parts = o.Parts, Epochs = o.Epochs,
            BatchSize = o.BatchSize, LearningRate = o.LearningRate, WeightDecay = o.WeightDecay, Schedule = o.Schedule,
            WarmupFraction = o.WarmupFraction, Seed = o.Seed, Device = o.Device,
        }, progress);
        double trainSeconds = watch.Elapsed.TotalSeconds;

        watch.Restart();
        progress.Message($"4/4 testing best/ on the test split -> {eval}");
        var capture = new MaskCapture();
        var test = ModelEvaluator.Run(new EvalOptions
        {
            ModelDir = training.BestDir, DataRoot = data, Split = "test", PromptKeys = o.PromptKeys, OutDir = eval, SaveMasks = true, Device = o.Device,
        }, capture);
        double testSeconds = watch.Elapsed.TotalSeconds;

        var testSet = SegmentationDataset.Load(data, "test", new DatasetLoadOptions { CheckPixels = false });
        var kinds = KindScores(test);
        var following = test.Keys.Where(k => !k.Skipped).Select(k => Following(k, testSet, capture)).ToList();
        var key = o.PromptKeys[0];
        DemoMontage.Write(Path.Combine(eval, MontageFileName), testSet,
            capture.Masks.Where(kv => kv.Key.Key == key).ToDictionary(kv => kv.Key.Record, kv => kv.Value),
            r => KindOf(testSet.Prompt(r, key)));
        var result = new DemoResult
        {
            OutDir = outDir, DataDir = data, ModelInitDir = init, RunDir = run, EvalDir = eval,
            DataSeconds = dataSeconds, InitSeconds = initSeconds, TrainSeconds = trainSeconds, TestSeconds = testSeconds,
            TotalSeconds = total.Elapsed.TotalSeconds, Training = training, Test = test, Kinds = kinds, Following = following, TargetDice = o.TargetDice,
        };
        WriteSummary(result, Path.Combine(outDir, "demo_summary.json"), synth.Summary());
        return result;
    }

    /// <summary>Sets the processor's input size of a model folder (preprocessor_config.json "size").</summary>
    public static void SetInputSize(string modelDir, int size)
    {
        if (size < 32 || size > 1024) throw new ArgumentException($"The demo's input size must lie in 32..1024 (got {size}).");
        var path = Path.Combine(modelDir, "preprocessor_config.json");
        var j = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        j["size"] = new JsonObject { ["height"] = size, ["width"] = size };
        File.WriteAllText(path, j.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Per prompt key, the records grouped by the brightness word in their prompt.</summary>
    private static List<PromptKindScore> KindScores(EvalReport test)
    {
        var list = new List<PromptKindScore>();
        foreach (var k in test.Keys.Where(k => !k.Skipped))
            foreach (var g in k.Rows.GroupBy(r => KindOf(r.Prompt)).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var dice = g.Select(r => r.Scores.Dice).ToList();
                list.Add(new PromptKindScore(k.PromptKey, g.Key, dice.Count, MetricStats.Mean(dice), MetricStats.StandardDeviation(dice),
                    MetricStats.Mean(g.Select(r => r.Scores.IoU).ToList()), g.First().Prompt));
            }
        return list;
    }

    private static string KindOf(string prompt)
    {
        if (Regex.IsMatch(prompt, @"\bbright\b", RegexOptions.IgnoreCase)) return "bright";
        if (Regex.IsMatch(prompt, @"\bdark\b", RegexOptions.IgnoreCase)) return "dark";
        return "any";
    }

    private static PromptFollowing Following(KeyEvaluation key, SegmentationDataset testSet, MaskCapture capture)
    {
        int images = 0, correct = 0;
        var overlaps = new List<double>();
        foreach (var g in Enumerable.Range(0, testSet.Count).GroupBy(i => testSet.Records[i].ImageName, StringComparer.Ordinal))
        {
            var recs = g.ToArray();
            if (recs.Length != 2) continue;
            if (!capture.Masks.TryGetValue((key.PromptKey, recs[0]), out var p0) || !capture.Masks.TryGetValue((key.PromptKey, recs[1]), out var p1)) continue;
            var t0 = testSet.LoadMask(recs[0]);
            var t1 = testSet.LoadMask(recs[1]);
            images++;
            bool ok0 = SegmentationMetrics.Dice(p0, t0) > SegmentationMetrics.Dice(p0, t1);
            bool ok1 = SegmentationMetrics.Dice(p1, t1) > SegmentationMetrics.Dice(p1, t0);
            if (ok0 && ok1) correct++;
            overlaps.Add(p0.IsEmpty && p1.IsEmpty ? 1.0 : SegmentationMetrics.Dice(p0, p1));
        }
        return new PromptFollowing(key.PromptKey, images, correct, overlaps.Count == 0 ? double.NaN : MetricStats.Mean(overlaps));
    }

    private sealed class MaskCapture : IPredictionSink
    {
        public Dictionary<(string Key, int Record), BinaryMask> Masks { get; } = new();

        public void OnImage(ImagePrediction p)
        {
            for (int k = 0; k < p.Records.Count; k++)
                Masks[(p.PromptKey, p.Records[k])] = new BinaryMask(p.Width, p.Height, Array.ConvertAll(p.Masks[k], v => v != 0));
        }
    }

    private static void WriteSummary(DemoResult r, string path, string datasetSummary)
    {
        double R(double v) => double.IsFinite(v) ? Math.Round(v, 4) : -1;
        var j = new JsonObject
        {
            ["passed"] = r.Passed, ["target_dice"] = r.TargetDice,
            ["seconds"] = new JsonObject { ["data"] = R(r.DataSeconds), ["init"] = R(r.InitSeconds), ["train"] = R(r.TrainSeconds), ["test"] = R(r.TestSeconds), ["total"] = R(r.TotalSeconds) },
            ["train"] = new JsonObject
            {
                ["epochs"] = r.Training.EpochsCompleted, ["best_epoch"] = r.Training.BestEpoch + 1, ["best_val_dice"] = r.Training.BestValDice is { } d ? R(d) : null,
                ["images_per_s"] = R(r.Training.TrainImagesPerSecond), ["cpu_seconds"] = R(r.Training.TrainCpuSeconds), ["peak_memory_mib"] = R(r.Training.PeakWorkingSetBytes / (1024.0 * 1024)),
            },
            ["test_by_prompt_kind"] = new JsonArray(r.Kinds.Select(k => (JsonNode)new JsonObject
            {
                ["prompt_key"] = k.PromptKey, ["kind"] = k.Kind, ["records"] = k.Records, ["dice_mean"] = R(k.DiceMean), ["dice_std"] = R(k.DiceStd),
                ["iou_mean"] = R(k.IoUMean), ["example_prompt"] = k.ExamplePrompt,
            }).ToArray()),
            ["prompt_following"] = new JsonArray(r.Following.Select(f => (JsonNode)new JsonObject
            {
                ["prompt_key"] = f.PromptKey, ["images"] = f.Images, ["both_prompts_pick_their_object"] = f.BothCorrect,
                ["mean_dice_between_the_two_predicted_masks"] = R(f.MeanOverlapBetweenPrompts),
            }).ToArray()),
            ["dataset"] = datasetSummary,
            ["paths"] = new JsonObject { ["data"] = r.DataDir, ["model_init"] = r.ModelInitDir, ["run"] = r.RunDir, ["eval"] = r.EvalDir },
        };
        RunFolder.WriteFileAtomic(path, tmp => File.WriteAllText(tmp, j.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
    }

    /// <summary>The closing summary printed by <c>engine demo</c>.</summary>
    public static string Describe(DemoResult r)
    {
        var ic = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(ic, $"demo {(r.Passed ? "PASSED" : "FAILED")} in {r.TotalSeconds:F0} s (data {r.DataSeconds:F1} s, init {r.InitSeconds:F1} s, training {r.TrainSeconds:F0} s, test {r.TestSeconds:F1} s)"),
            string.Create(ic, $"training: {r.Training.EpochsCompleted} epochs, {r.Training.TrainImagesPerSecond:F0} images/s ({r.Training.TrainCpuSeconds:F0} CPU-s), best epoch {r.Training.BestEpoch + 1} (val Dice {r.Training.BestValDice:F4}), peak memory {r.Training.PeakWorkingSetBytes / 1048576.0:F0} MiB"),
            string.Create(ic, $"test Dice per prompt kind (target >= {r.TargetDice:F2}):"),
        };
        foreach (var k in r.Kinds)
            lines.Add(string.Create(ic, $"  {k.PromptKey} {k.Kind,-6} n={k.Records,3}  Dice {k.DiceMean:F4} ± {k.DiceStd:F4}  IoU {k.IoUMean:F4}   e.g. \"{k.ExamplePrompt}\""));
        foreach (var f in r.Following)
            lines.Add(string.Create(ic, $"prompt following ({f.PromptKey}): on {f.BothCorrect}/{f.Images} test images both prompts select their own object; mean Dice between the two predicted masks {f.MeanOverlapBetweenPrompts:F3}"));
        lines.Add($"outputs: {r.OutDir}: demo_summary.json, run/metrics.csv, run/curves.png, eval/{MontageFileName} (image | bright-prompt mask in red | dark-prompt mask in green, true objects outlined in white), eval/overlays/, eval/per_image.csv, run/best/ (model folder)");
        return string.Join(Environment.NewLine, lines);
    }
}
