using Engine.Data;
using Engine.Imaging;
using Engine.Training.Data;

namespace Engine.Training.Evaluation;

/// <summary>
/// Writes what <c>engine test --save-masks</c> promises, with Engine.Imaging's writers, under EVAL_DIR:
/// <c>masks/KEY/MASK.png</c> (binary 0/255), <c>probs/KEY/MASK.png</c> (probability x 255),
/// <c>overlays/KEY/IMAGE.png</c> (every predicted mask of the image tinted and outlined over it) and, on multi-class
/// data, <c>labelmaps/KEY/IMAGE.png</c> (palette PNG: index = class number in summary.json, 0 = background).
/// </summary>
public sealed class PredictionWriter(string outDir, SegmentationDataset dataset, int? maxOverlays = null) : IPredictionSink
{
    private int _overlays;

    public void OnImage(ImagePrediction p)
    {
        var writes = new List<Action>();
        for (int k = 0; k < p.Records.Count; k++)
        {
            var stem = SafeStem(dataset.Records[p.Records[k]].MaskName);
            byte[] mask = p.Masks[k];
            float[] probabilities = p.Probabilities[k];
            writes.Add(() => OutputWriters.WriteGray(Path.Combine(outDir, "masks", p.PromptKey, stem + ".png"), mask, p.Width, p.Height));
            writes.Add(() => OutputWriters.WriteProbabilityMap(Path.Combine(outDir, "probs", p.PromptKey, stem + ".png"), probabilities, p.Width, p.Height));
        }
        var imageStem = SafeStem(p.ImageName);
        if (maxOverlays is null || _overlays < maxOverlays)
        {
            var image = dataset.LoadImage(p.Records[0]);
            writes.Add(() => OutputWriters.WriteOverlay(Path.Combine(outDir, "overlays", p.PromptKey, imageStem + ".png"), image, p.Masks.ToList()));
            _overlays++;
        }
        if (p.LabelMap is { } labels)
            writes.Add(() => OutputWriters.WriteLabelMap(Path.Combine(outDir, "labelmaps", p.PromptKey, imageStem + ".png"), labels, p.Width, p.Height));
        OutputWriters.WriteInParallel(writes);
    }

    /// <summary>A file stem from a dataset-relative name (folders flattened with '_').</summary>
    public static string SafeStem(string name)
    {
        var stem = Path.ChangeExtension(name, null) ?? name;
        foreach (var c in new[] { '/', '\\', ':' }) stem = stem.Replace(c, '_');
        return stem;
    }
}
