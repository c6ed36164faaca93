using System.Text.Json.Nodes;
using Engine.Data;
using Engine.Imaging;
using Engine.Pipelines;
using Engine.Training.Data;
using Engine.Training.Evaluation;
using Engine.Training.Models;
using Xunit;

namespace Engine.Training.Tests;

public sealed class EvaluatorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("evaluator-").FullName;

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    /// <summary>Returns fixed probability maps per (image, prompt).</summary>
    private sealed class FixedPredictor(Dictionary<(string Image, string Prompt), float[]> maps) : IImagePredictor
    {
        public float DefaultThreshold => 0.5f;
        public List<int> BatchSizes { get; } = new();

        public PredictionBatch Predict(PreparedSplit split, IReadOnlyList<int> imageRecords, IReadOnlyList<string> prompts)
        {
            BatchSizes.Add(imageRecords.Count);
            return new PredictionBatch(imageRecords.Select(r => prompts.Select(p => maps[(split.Dataset.Records[r].ImageName, p)]).ToArray()).ToArray(), null, 0, 0);
        }
    }

    private static PreparedSplit Split(string root, string split = "test")
        => new(SegmentationDataset.Load(root, split), PreprocessorConfig.ClipSeg(16), 1 << 20);

    [Fact]
    public void Metrics_match_hand_computed_values_at_the_original_resolution()
    {
        var ds = new HandMadeDataset(Path.Combine(_root, "single"));
        ds.AddImage("a.png", 6, 4);
        ds.AddImage("b.png", 6, 4);
        // a: target 2x4 = 8 px, prediction 8 px of which 4 overlap -> Dice 0.5, IoU 1/3, precision 0.5, recall 0.5.
        ds.AddRecord("a.png", "a.png", "polyp", new[] { "##....", "##....", "##....", "##...." }, ("p1", "polyp"));
        // b: empty target, empty prediction -> Dice = IoU = precision = recall = 1, HD95 0.
        ds.AddRecord("b.png", "b.png", "polyp", new[] { "......", "......", "......", "......" }, ("p1", "polyp"));
        ds.Save("test");
        var predictor = new FixedPredictor(new()
        {
            [("a.png", "polyp")] = HandMadeDataset.Probabilities(new[] { "#+....", "##....", "......", "+##..." }),
            [("b.png", "polyp")] = HandMadeDataset.Probabilities(new[] { "......", "......", "..+...", "......" }),
        });
        var result = SegmentationEvaluator.Evaluate(predictor, Split(ds.Root), "p1", new EvaluationSettings());
        var a = result.Rows[0].Scores;
        // '+' is exactly 0.5: not foreground (p > threshold, as engine segment).
        // Prediction pixels: row0 x0; row1 x0,x1; row3 x1,x2 -> 5 px; overlap with target (x0,x1 all rows): row0 x0, row1 x0,x1, row3 x1 -> 4.
        Assert.Equal(2.0 * 4 / (5 + 8), a.Dice, 12);
        Assert.Equal(4.0 / (5 + 8 - 4), a.IoU, 12);
        Assert.Equal(4.0 / 5, a.Precision, 12);
        Assert.Equal(4.0 / 8, a.Recall, 12);
        Assert.Equal(5, result.Rows[0].PredictedPixels);
        Assert.Equal(8, result.Rows[0].TargetPixels);
        var b = result.Rows[1].Scores;
        Assert.Equal((1.0, 1.0, 1.0, 1.0, 0.0), (b.Dice, b.IoU, b.Precision, b.Recall, b.Hd95));
        var (mean, std) = result.Summary();
        Assert.Equal((a.Dice + 1) / 2, mean.Dice, 12);
        Assert.Equal((1 - a.Dice) / 2, std.Dice, 12); // population std of two values
        Assert.Equal(new[] { 2 }, predictor.BatchSizes); // same prompt list: one batch

        // A lower threshold turns the two 0.5 pixels on, both inside the target: 7 px predicted, 6 overlapping.
        var low = SegmentationEvaluator.Evaluate(predictor, Split(ds.Root), "p1", new EvaluationSettings { Threshold = 0.4f });
        Assert.Equal(2.0 * 6 / (7 + 8), low.Rows[0].Scores.Dice, 12);
        Assert.Equal(0.0, low.Rows[1].Scores.Dice); // b: one false-positive pixel on an empty target
    }

    [Fact]
    public void Multi_class_images_get_per_class_metrics_and_a_label_map()
    {
        var ds = new HandMadeDataset(Path.Combine(_root, "multi"));
        ds.AddImage("ct.png", 4, 2);
        ds.AddRecord("ct.png", "ct_liver.png", "liver", new[] { "##..", "##.." }, ("p1", "liver"));
        ds.AddRecord("ct.png", "ct_spleen.png", "spleen", new[] { "...#", "...#" }, ("p1", "spleen"));
        ds.Save("test");
        // liver prob 0.9 on x0..x2, spleen 0.9 on x2..x3: the label map gives x2 to the first maximum (liver).
        var predictor = new FixedPredictor(new()
        {
            [("ct.png", "liver")] = HandMadeDataset.Probabilities(new[] { "###.", "###." }),
            [("ct.png", "spleen")] = HandMadeDataset.Probabilities(new[] { "..##", "..##" }),
        });
        var capture = new List<ImagePrediction>();
        var result = SegmentationEvaluator.Evaluate(predictor, Split(ds.Root), "p1", new EvaluationSettings(), new Sink(capture));
        Assert.Equal(2.0 * 4 / (6 + 4), result.Rows[0].Scores.Dice, 12);  // liver binary: 6 px predicted, 4 target
        Assert.Equal(2.0 * 2 / (4 + 2), result.Rows[1].Scores.Dice, 12);  // spleen binary: 4 px predicted, 2 target
        var labels = Assert.Single(capture).LabelMap!;
        Assert.Equal(new byte[] { 1, 1, 1, 2, 1, 1, 1, 2 }, labels);         // liver = 1, spleen = 2 (ordinal class order)
        Assert.Equal(2.0 * 4 / (6 + 4), result.LabelMapDice!["liver"], 12);
        Assert.Equal(1.0, result.LabelMapDice!["spleen"], 12);
        Assert.Equal(new[] { "liver", "spleen" }, result.PerClass().Keys);
    }

    private sealed class Sink(List<ImagePrediction> list) : IPredictionSink
    {
        public void OnImage(ImagePrediction prediction) => list.Add(prediction);
    }

    [Fact]
    public void Empty_prompts_are_skipped_with_a_reason_and_reports_are_written()
    {
        var ds = new HandMadeDataset(Path.Combine(_root, "report"));
        ds.AddImage("a.png", 4, 2);
        ds.AddRecord("a.png", "a.png", "polyp", new[] { "##..", "##.." }, ("p0", ""), ("p1", "polyp"), ("p2", "round, \"pink\" polyp"));
        ds.Save("test");
        var predictor = new FixedPredictor(new()
        {
            [("a.png", "polyp")] = HandMadeDataset.Probabilities(new[] { "##..", "##.." }),
            [("a.png", "round, \"pink\" polyp")] = HandMadeDataset.Probabilities(new[] { "#...", "#..." }),
        });
        var split = Split(ds.Root);
        var keys = new[] { "p0", "p1", "p2" }.Select(k => SegmentationEvaluator.Evaluate(predictor, split, k, new EvaluationSettings())).ToList();
        Assert.True(keys[0].Skipped);
        Assert.Contains("empty", keys[0].SkippedReason);
        var out_ = Path.Combine(_root, "report-out");
        var report = new EvalReport
        {
            ModelDir = "m", Family = "clipseg", DataRoot = ds.Root, Split = "test", Threshold = 0.5f, ZeroShot = true,
            Classes = split.Dataset.Classes, Images = 1, Keys = keys, OutDir = out_,
        };
        report.Write();
        var csv = File.ReadAllLines(Path.Combine(out_, EvalReport.PerImageFile));
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("prompt_key,image,mask,class,prompt,dice,iou", csv[0]);
        Assert.Equal("p2,a.png,a.png,polyp,\"round, \"\"pink\"\" polyp\",0.666667,0.500000,1.000000,0.500000", string.Join(",", csv[2].Split(',').Take(10)));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(out_, EvalReport.SummaryFile)))!;
        Assert.True(summary["zero_shot"]!.GetValue<bool>());
        Assert.Equal(1.0, summary["prompt_keys"]!["p1"]!["dice"]!["mean"]!.GetValue<double>());
        Assert.Equal(0.0, summary["prompt_keys"]!["p1"]!["dice"]!["std"]!.GetValue<double>());
        Assert.NotNull(summary["prompt_keys"]!["p0"]!["skipped"]);
        Assert.Equal("p1", summary["best_prompt_key"]!.GetValue<string>());
        var sensitivity = File.ReadAllLines(Path.Combine(out_, EvalReport.SensitivityFile));
        Assert.Equal(4, sensitivity.Length);
        Assert.StartsWith("p1,polyp,1,1.000000,0.000000", sensitivity[2]);
    }
}

[Collection("training")]
public sealed class ValidationMatchesTestTests(TestWorkspace ws)
{
    [Fact]
    public void The_trainers_validation_path_scores_exactly_like_the_segmentation_pipeline()
    {
        var dataset = SegmentationDataset.Load(ws.Data, "test");
        using var pipeline = SegmentationModel.Load(ws.Model);
        using var trainable = TrainableModels.Open(ws.Model, Device.Cpu);
        using var segmenter = trainable.CreateSegmenter();
        var split = new PreparedSplit(dataset, InputPreparation.SquashConfig(pipeline.Preprocessing), 1 << 24);
        // A random model predicts almost nothing at 0.5; a low threshold makes the comparison meaningful.
        var settings = new EvaluationSettings { Threshold = 0.45f, BatchSize = 4 };
        var viaPipeline = SegmentationEvaluator.Evaluate(new PipelinePredictor(pipeline), split, "p4", settings);
        var viaTrainer = SegmentationEvaluator.Evaluate(new SegmenterPredictor(segmenter, Device.Cpu), split, "p4", settings);
        Assert.Equal(viaPipeline.Rows.Select(r => (r.Record, r.Scores, r.PredictedPixels)), viaTrainer.Rows.Select(r => (r.Record, r.Scores, r.PredictedPixels)));
        Assert.Contains(viaPipeline.Rows, r => r.PredictedPixels > 0);
    }
}
