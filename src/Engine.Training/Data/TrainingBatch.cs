namespace Engine.Training.Data;

/// <summary>One training batch: record indices, one prompt per record, pixel values [B, 3, H, W] (normalised) and
/// 0/1 targets [B, H, W] at the model's input size, on the CPU.</summary>
public sealed record TrainingBatch(int[] Records, string[] Prompts, Tensor Pixels, Tensor Targets)
{
    public int Size => Records.Length;
}
