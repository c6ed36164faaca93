using Engine.Data;
using Engine.Pipelines;
using Engine.Training.Data;

namespace Engine.Training.Evaluation;

/// <summary><c>engine test</c>: loads a model folder through the public segmentation pipeline (the inference code of
/// <c>engine segment</c>: the folder's preprocessing, logits mapped back to the original size), evaluates each prompt key
/// on a split, and writes the report.</summary>
public static class ModelEvaluator
{
    /// <param name="extraSink">Also receives every image's predictions (e.g. the demo's prompt-following check).</param>
    /// <param name="progress">(prompt key, records done, records total).</param>
    public static EvalReport Run(EvalOptions o, IPredictionSink? extraSink = null, Action<string, int, int>? progress = null)
    {
        if (o.BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1 (got {o.BatchSize}).");
        var device = Device.Parse(o.Device);
        using var model = SegmentationModel.Load(o.ModelDir, device, new SegmentationOptions { BatchSize = o.BatchSize, Threshold = o.Threshold });
        var dataset = SegmentationDataset.Load(o.DataRoot, o.Split, new DatasetLoadOptions { RequiredPromptKeys = o.AllPromptKeys ? Array.Empty<string>() : o.PromptKeys.ToList() });
        if (dataset.Count == 0) throw new DatasetValidationException($"The {o.Split} split of '{o.DataRoot}' is empty.");
        var keys = o.AllPromptKeys ? dataset.PromptKeys : o.PromptKeys;
        if (keys.Count == 0) throw new DatasetValidationException($"The records of the {o.Split} split of '{o.DataRoot}' share no prompt key.");
        var split = new PreparedSplit(dataset, InputPreparation.SquashConfig(model.Preprocessing), o.CacheBytes);
        var settings = new EvaluationSettings { Threshold = o.Threshold, BatchSize = o.BatchSize };
        var predictor = new PipelinePredictor(model);
        IPredictionSink? sink = o.SaveMasks ? new PredictionWriter(o.OutDir, dataset) : null;
        if (extraSink is not null) sink = sink is null ? extraSink : new CompositeSink(sink, extraSink);
        var results = new List<KeyEvaluation>();
        foreach (var key in keys)
            results.Add(SegmentationEvaluator.Evaluate(predictor, split, key, settings, sink, null, (d, t) => progress?.Invoke(key, d, t)));
        var report = new EvalReport
        {
            ModelDir = model.ModelPath, Family = model.Family, DataRoot = Path.GetFullPath(o.DataRoot), Split = o.Split,
            Threshold = model.Threshold, ZeroShot = o.ZeroShot, Classes = dataset.Classes,
            Images = dataset.Records.Select(r => r.ImageName).Distinct(StringComparer.Ordinal).Count(), Keys = results, OutDir = Path.GetFullPath(o.OutDir),
        };
        report.Write();
        return report;
    }

    private sealed class CompositeSink(IPredictionSink a, IPredictionSink b) : IPredictionSink
    {
        public void OnImage(ImagePrediction prediction) { a.OnImage(prediction); b.OnImage(prediction); }
    }
}
