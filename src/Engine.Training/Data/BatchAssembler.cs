using Engine.Imaging;

namespace Engine.Training.Data;

/// <summary>Builds <see cref="TrainingBatch"/>es from a <see cref="PreparedSplit"/>: per record the cached resized
/// image and mask, the seeded augmentation of (seed, epoch, record), normalisation. Samples are prepared in parallel;
/// the result does not depend on the thread schedule.</summary>
public static class BatchAssembler
{
    public static TrainingBatch Assemble(PreparedSplit split, IReadOnlyList<int> records, IReadOnlyList<string> prompts,
        AugmentationOptions augmentation, int seed, int epoch)
    {
        if (records.Count == 0) throw new ArgumentException("Empty batch.");
        if (prompts.Count != records.Count) throw new ArgumentException($"{prompts.Count} prompts for {records.Count} records.");
        int w = split.Width, h = split.Height, plane = w * h;
        var pixels = new float[records.Count * 3 * plane];
        var targets = new float[records.Count * plane];
        Parallel.For(0, records.Count, b =>
        {
            int r = records[b];
            var image = split.ResizedImage(r);
            var mask = split.ResizedMask(r);
            if (augmentation.Enabled) (image, mask) = Augmenter.Apply(image, mask, augmentation, Augmenter.StreamFor(seed, epoch, r));
            var planes = ImagePreprocessor.Normalize(image, split.Config);
            Array.Copy(planes, 0, pixels, b * 3 * plane, 3 * plane);
            for (int i = 0; i < plane; i++) targets[b * plane + i] = mask[i] != 0 ? 1f : 0f;
        });
        return new TrainingBatch(records.ToArray(), prompts.ToArray(),
            Tensor.FromArray(pixels, records.Count, 3, h, w), Tensor.FromArray(targets, records.Count, h, w));
    }
}
