namespace Engine.Imaging;

/// <summary>Limits and behaviour of <see cref="ImageLoader"/>.</summary>
public sealed record ImageLoadOptions
{
    /// <summary>Largest accepted width or height, checked from the header before decoding.</summary>
    public int MaxSide { get; init; } = 20_000;

    /// <summary>Largest accepted pixel count (width × height).</summary>
    public long MaxPixels { get; init; } = 200_000_000;

    /// <summary>Rotate/flip by the EXIF orientation tag (what transformers' load_image does via exif_transpose).</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    public static ImageLoadOptions Default { get; } = new();
}
