namespace Engine.Models.Loading;

/// <summary>
/// Images used as prompts instead of text (CLIPSeg's visual prompts, transformers' <c>conditional_pixel_values</c>):
/// pixel values [K, C, H, W], preprocessed exactly like the query images. The pixels are copied on construction, and
/// a segmenter encodes them once and keeps the result here, so one instance passed with every batch of a request
/// costs one pass through the image encoder, not one per batch.
/// </summary>
public sealed class PromptImages
{
    private readonly object _gate = new();
    private (object Owner, float[] Conditions)? _encoded;

    /// <param name="pixelValues">[K, C, H, W] preprocessed prompt images (K &gt;= 1).</param>
    public PromptImages(Tensor pixelValues)
    {
        ArgumentNullException.ThrowIfNull(pixelValues);
        if (pixelValues.Rank != 4 || pixelValues.Shape[0] < 1)
            throw new ArgumentException($"Prompt images must be [K, C, H, W] with K >= 1 (got [{string.Join(", ", pixelValues.Shape)}]).", nameof(pixelValues));
        Pixels = Tensor.FromArray(pixelValues.ToArray(), pixelValues.Shape.ToArray());
    }

    /// <summary>Number of prompt images (K).</summary>
    public int Count => Pixels.Shape[0];

    internal Tensor Pixels { get; }

    /// <summary>The conditions [K, d] the owning segmenter's <paramref name="encode"/> makes of the pixels, computed on
    /// first use and kept (per segmenter: another model encodes them afresh).</summary>
    internal float[] Encoded(object owner, Func<Tensor, Tensor> encode)
    {
        lock (_gate)
        {
            if (_encoded is { } e && ReferenceEquals(e.Owner, owner)) return e.Conditions;
            var conditions = encode(Pixels).ToArray();
            _encoded = (owner, conditions);
            return conditions;
        }
    }
}
