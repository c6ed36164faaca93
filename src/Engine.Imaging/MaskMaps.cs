namespace Engine.Imaging;

/// <summary>Pure functions from model outputs to masks: sigmoid, thresholding, per-pixel argmax over prompts.</summary>
public static class MaskMaps
{
    /// <summary>Element-wise logistic sigmoid of logits.</summary>
    public static float[] Sigmoid(float[] logits)
    {
        var p = new float[logits.Length];
        for (int i = 0; i < p.Length; i++) p[i] = 1f / (1f + MathF.Exp(-logits[i]));
        return p;
    }

    /// <summary>Binary mask: 255 where probability &gt; <paramref name="threshold"/>, else 0.</summary>
    public static byte[] Threshold(float[] probabilities, float threshold = 0.5f)
    {
        var mask = new byte[probabilities.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = probabilities[i] > threshold ? (byte)255 : (byte)0;
        return mask;
    }

    /// <summary>
    /// Label map over several prompts' probability maps: 0 (background) where no probability exceeds
    /// <paramref name="threshold"/>, otherwise 1 + the index of the most probable prompt (first one on ties).
    /// </summary>
    public static byte[] LabelMap(IReadOnlyList<float[]> probabilities, float threshold = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.Count == 0) throw new ArgumentException("No probability maps.", nameof(probabilities));
        if (probabilities.Count > 255) throw new ArgumentException($"At most 255 classes fit a byte label map, got {probabilities.Count}.");
        int n = probabilities[0].Length;
        if (probabilities.Any(p => p.Length != n)) throw new ArgumentException("Probability maps differ in size.");
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int best = -1;
            float bestP = threshold;
            for (int k = 0; k < probabilities.Count; k++)
                if (probabilities[k][i] > bestP) { bestP = probabilities[k][i]; best = k; }
            labels[i] = (byte)(best + 1);
        }
        return labels;
    }
}
