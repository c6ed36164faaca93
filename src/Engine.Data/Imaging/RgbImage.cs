namespace Engine.Data;

/// <summary>An 8-bit RGB image, pixels interleaved (R,G,B) row by row. Greyscale sources are expanded to RGB.</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if (pixels.Length != width * height * 3)
            throw new ArgumentException($"RGB pixel buffer has {pixels.Length} bytes, expected {width}*{height}*3", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>R,G,B bytes of pixel (x, y) start at (y*Width + x)*3.</summary>
    public byte[] Pixels { get; }

    public static RgbImage FromGray(int width, int height, ReadOnlySpan<byte> gray)
    {
        var rgb = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
        return new RgbImage(width, height, rgb);
    }
}
