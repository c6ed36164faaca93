using Engine.Imaging;
using Engine.Models.Loading;
using Engine.Pipelines;
using Engine.Training.Data;

namespace Engine.Training.Evaluation;

/// <summary>Probability maps of a batch of images under a shared prompt list, at each image's original resolution.</summary>
/// <param name="Probabilities">[image][prompt] -> Width*Height sigmoid probabilities.</param>
/// <param name="Logits">[image][prompt] -> the model's raw logits at <paramref name="LogitWidth"/> x <paramref name="LogitHeight"/> when available.</param>
public sealed record PredictionBatch(float[][][] Probabilities, float[][][]? Logits, int LogitWidth, int LogitHeight);

/// <summary>What the evaluator runs images through.</summary>
public interface IImagePredictor
{
    float DefaultThreshold { get; }

    /// <param name="split">The split (for images and sizes).</param>
    /// <param name="imageRecords">One record per image (its image is used).</param>
    PredictionBatch Predict(PreparedSplit split, IReadOnlyList<int> imageRecords, IReadOnlyList<string> prompts);
}

/// <summary>
/// <c>engine test</c>'s predictor: the public segmentation pipeline (<see cref="SegmentationModel"/>), exactly what
/// <c>engine segment</c> runs — the folder's own preprocessing, logits mapped back to the original size
/// (bilinear, crop undone), sigmoid.
/// </summary>
public sealed class PipelinePredictor(SegmentationModel model) : IImagePredictor
{
    public float DefaultThreshold => model.Threshold;

    public PredictionBatch Predict(PreparedSplit split, IReadOnlyList<int> imageRecords, IReadOnlyList<string> prompts)
    {
        var images = imageRecords.Select(split.OriginalImage).ToList();
        var results = model.Segment(images, prompts);
        return new PredictionBatch(results.Select(r => r.Probabilities.ToArray()).ToArray(), null, 0, 0);
    }
}

/// <summary>
/// The trainer's validation predictor: the family's segmenter over the live (in-memory) weights, on the split's cached
/// squash-resized inputs, with the pipeline's post-processing for squash-resized inputs (logits resized bilinearly
/// to the original size, then sigmoid). Also hands out the raw logits for the validation loss.
/// </summary>
public sealed class SegmenterPredictor(IPromptSegmenter segmenter, Device device) : IImagePredictor
{
    public float DefaultThreshold => segmenter.DefaultThreshold;

    public PredictionBatch Predict(PreparedSplit split, IReadOnlyList<int> imageRecords, IReadOnlyList<string> prompts)
    {
        int n = imageRecords.Count, plane = 3 * split.Width * split.Height, p = prompts.Count;
        var pixels = new float[n * plane];
        Parallel.For(0, n, i => Array.Copy(ImagePreprocessor.Normalize(split.ResizedImage(imageRecords[i]), split.Config), 0, pixels, i * plane, plane));
        var logits = segmenter.PredictLogits(Tensor.FromArray(pixels, n, 3, split.Height, split.Width).To(device), prompts);
        if (logits.Rank != 4 || logits.Shape[0] != n || logits.Shape[1] != p)
            throw new InvalidOperationException($"The segmenter returned logits {Shape.Format(logits.Shape)} for {n} images and {p} prompts.");
        int h = logits.Shape[2], w = logits.Shape[3];
        var all = logits.To(Device.Cpu).Contiguous().ToArray();
        var raw = new float[n][][];
        var probs = new float[n][][];
        Parallel.For(0, n, i =>
        {
            var (width, height) = split.OriginalSize(imageRecords[i]);
            raw[i] = new float[p][];
            probs[i] = new float[p][];
            for (int j = 0; j < p; j++)
            {
                raw[i][j] = all.AsSpan((i * p + j) * h * w, h * w).ToArray();
                var full = w == width && h == height ? raw[i][j] : MapResize.Bilinear(raw[i][j], w, h, width, height);
                probs[i][j] = MaskMaps.Sigmoid(full);
            }
        });
        return new PredictionBatch(probs, raw, w, h);
    }
}
