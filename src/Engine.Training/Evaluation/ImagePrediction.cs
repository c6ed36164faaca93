namespace Engine.Training.Evaluation;

/// <summary>What the evaluator computed for one image under one prompt key, handed to an
/// <see cref="IPredictionSink"/> (e.g. to write masks and overlays): per record its probability map and binary mask
/// at the original resolution, and the combined label map when the image holds several classes.</summary>
public sealed record ImagePrediction(
    string PromptKey, string ImageName, int Width, int Height,
    IReadOnlyList<int> Records, IReadOnlyList<float[]> Probabilities, IReadOnlyList<byte[]> Masks,
    byte[]? LabelMap, IReadOnlyList<string> LabelClasses);

/// <summary>Receives each image's predictions during an evaluation (called from the evaluating thread).</summary>
public interface IPredictionSink
{
    void OnImage(ImagePrediction prediction);
}
