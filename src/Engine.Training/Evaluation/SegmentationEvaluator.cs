using System.Diagnostics;
using Engine.Data;
using Engine.Data.Metrics;
using Engine.Imaging;
using Engine.Training.Data;

namespace Engine.Training.Evaluation;

/// <summary>
/// Scores a predictor on one split under one prompt key, per record at the image's original resolution: the
/// predictor's probability map at the original size (the segmentation pipeline's logits resized bilinearly, then
/// sigmoid) is thresholded (p &gt; threshold, as <c>engine segment</c>) and compared with the record's mask (Dice, IoU, precision, recall,
/// HD95 from <see cref="SegmentationMetrics"/>). Records of the same image are run together (one vision pass, one
/// decoder pass per distinct prompt); images whose prompt lists are identical are batched. On multi-class data the
/// classes of an image are also combined into a label map (per-pixel argmax, background below the threshold).
/// </summary>
public static class SegmentationEvaluator
{
    private sealed record ImageGroup(string ImageName, int[] Records, string[] Prompts, int[] PromptOfRecord);

    /// <param name="onLogits">Called per record with its logits at the model's output size (row-major, width, height)
    /// when the predictor provides them, e.g. for a validation loss.</param>
    /// <param name="progress">Called with (records done, records total).</param>
    public static KeyEvaluation Evaluate(IImagePredictor predictor, PreparedSplit split, string promptKey, EvaluationSettings settings,
        IPredictionSink? sink = null, Action<int, float[], int, int>? onLogits = null, Action<int, int>? progress = null)
    {
        var ds = split.Dataset;
        var watch = Stopwatch.StartNew();
        float threshold = settings.Threshold ?? predictor.DefaultThreshold;
        if (threshold is < 0 or >= 1 || float.IsNaN(threshold)) throw new ArgumentException($"The threshold must lie in [0, 1), got {threshold}.");
        var prompts = new string[ds.Count];
        for (int i = 0; i < ds.Count; i++) prompts[i] = ds.Prompt(i, promptKey);
        int blank = Array.FindIndex(prompts, string.IsNullOrWhiteSpace);
        if (blank >= 0)
            return new KeyEvaluation(promptKey, Array.Empty<EvaluationRow>(), null, 0,
                $"prompt \"{promptKey}\" is empty for {ds.Records[blank].Describe(blank)}; text-prompted segmenters need a non-empty prompt");

        var groups = GroupByImage(ds, prompts);
        bool multiClass = ds.Classes.Count > 1;
        var classIndex = ds.Classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var rows = new EvaluationRow?[ds.Count];
        var labelDice = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        int done = 0;
        foreach (var batch in Batches(groups, Math.Max(1, settings.BatchSize)))
        {
            var predicted = predictor.Predict(split, batch.Select(g => g.Records[0]).ToList(), batch[0].Prompts);
            for (int n = 0; n < batch.Count; n++)
            {
                var g = batch[n];
                var (width, height) = split.OriginalSize(g.Records[0]);
                var probs = new List<float[]>();
                var masks = new List<byte[]>();
                for (int k = 0; k < g.Records.Length; k++)
                {
                    int r = g.Records[k], j = g.PromptOfRecord[k];
                    if (predicted.Logits is { } logits) onLogits?.Invoke(r, logits[n][j], predicted.LogitWidth, predicted.LogitHeight);
                    var target = split.OriginalMask(r);
                    var p = predicted.Probabilities[n][j];
                    if (target.Width != width || target.Height != height || p.Length != width * height)
                        throw new InvalidDataException($"{ds.Records[r].Describe(r)}: mask is {target.Width}x{target.Height}, but image '{g.ImageName}' gave a {width}x{height} prediction.");
                    var m = MaskMaps.Threshold(p, threshold);
                    var pred = new BinaryMask(width, height, Array.ConvertAll(m, v => v != 0));
                    var rec = ds.Records[r];
                    rows[r] = new EvaluationRow(promptKey, r, rec.ImageName, rec.MaskName, rec.ClassName, prompts[r],
                        SegmentationMetrics.Compute(pred, target), pred.ForegroundCount(), target.ForegroundCount());
                    probs.Add(p);
                    masks.Add(m);
                }
                byte[]? labels = null;
                var labelClasses = new List<string>();
                var classes = g.Records.Select(r => ds.Records[r].ClassName).ToList();
                if (multiClass && classes.Distinct(StringComparer.Ordinal).Count() == classes.Count)
                {
                    // Label values are global class indices + 1 (the dataset's ordinal class order), 0 = background.
                    var local = MaskMaps.LabelMap(probs, threshold);
                    labels = new byte[local.Length];
                    for (int i = 0; i < local.Length; i++) labels[i] = local[i] == 0 ? (byte)0 : (byte)(classIndex[classes[local[i] - 1]] + 1);
                    for (int k = 0; k < g.Records.Length; k++)
                    {
                        byte id = (byte)(classIndex[classes[k]] + 1);
                        var pred = new BinaryMask(width, height, Array.ConvertAll(labels, v => v == id));
                        if (!labelDice.TryGetValue(classes[k], out var list)) labelDice[classes[k]] = list = new List<double>();
                        list.Add(SegmentationMetrics.Dice(pred, split.OriginalMask(g.Records[k])));
                    }
                    labelClasses.AddRange(ds.Classes);
                }
                sink?.OnImage(new ImagePrediction(promptKey, g.ImageName, width, height, g.Records, probs, masks, labels, labelClasses));
                done += g.Records.Length;
                progress?.Invoke(done, ds.Count);
            }
        }
        IReadOnlyDictionary<string, double>? labelSummary = multiClass
            ? labelDice.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => MetricStats.Mean(kv.Value), StringComparer.Ordinal)
            : null;
        return new KeyEvaluation(promptKey, rows.Select(r => r!).ToList(), labelSummary, watch.Elapsed.TotalSeconds);
    }

    private static List<ImageGroup> GroupByImage(SegmentationDataset ds, string[] prompts)
    {
        var groups = new List<ImageGroup>();
        foreach (var g in Enumerable.Range(0, ds.Count).GroupBy(i => ds.Records[i].ImageName, StringComparer.Ordinal))
        {
            var records = g.ToArray();
            var distinct = records.Select(r => prompts[r]).Distinct(StringComparer.Ordinal).ToArray();
            var of = records.Select(r => Array.IndexOf(distinct, prompts[r])).ToArray();
            groups.Add(new ImageGroup(g.Key, records, distinct, of));
        }
        return groups;
    }

    /// <summary>Consecutive images that share the same prompt list, up to <paramref name="size"/> per batch.</summary>
    private static IEnumerable<List<ImageGroup>> Batches(List<ImageGroup> groups, int size)
    {
        var current = new List<ImageGroup>();
        foreach (var g in groups)
        {
            if (current.Count > 0 && (current.Count == size || !current[0].Prompts.AsSpan().SequenceEqual(g.Prompts)))
            {
                yield return current;
                current = new List<ImageGroup>();
            }
            current.Add(g);
        }
        if (current.Count > 0) yield return current;
    }
}
