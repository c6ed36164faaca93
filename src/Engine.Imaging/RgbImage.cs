namespace Engine.Imaging;

/// <summary>
/// An 8-bit RGB image: <see cref="Pixels"/> holds Width×Height×3 bytes, row-major, channels interleaved (R, G, B),
/// the layout PIL's "RGB" mode and HWC numpy arrays use.
/// </summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive, got {width}x{height}.");
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != checked(width * height * 3))
            throw new ArgumentException($"An RGB image of {width}x{height} needs {width * height * 3} bytes, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Interleaved RGB bytes, row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>Channel <paramref name="c"/> (0 R, 1 G, 2 B) of pixel (x, y).</summary>
    public byte this[int x, int y, int c] => Pixels[(y * Width + x) * 3 + c];

    /// <summary>A gray image as RGB (R = G = B).</summary>
    public static RgbImage FromGray(int width, int height, ReadOnlySpan<byte> gray)
    {
        if (gray.Length != width * height) throw new ArgumentException($"Expected {width * height} gray values, got {gray.Length}.", nameof(gray));
        var rgb = new byte[gray.Length * 3];
        for (int i = 0; i < gray.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
        return new RgbImage(width, height, rgb);
    }

    /// <summary>Planar float copy [3, Height, Width] with the raw 0..255 values.</summary>
    public float[] ToPlanarFloat()
    {
        int n = Width * Height;
        var planes = new float[3 * n];
        for (int i = 0; i < n; i++)
        {
            planes[i] = Pixels[3 * i];
            planes[n + i] = Pixels[3 * i + 1];
            planes[2 * n + i] = Pixels[3 * i + 2];
        }
        return planes;
    }

    /// <summary>The rectangle [left, left+width) × [top, top+height) as a new image (must lie inside).</summary>
    public RgbImage Crop(int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > Width || top + height > Height)
            throw new ArgumentOutOfRangeException(nameof(left), $"Crop {width}x{height} at ({left},{top}) is outside the {Width}x{Height} image.");
        var dst = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            Buffer.BlockCopy(Pixels, ((top + y) * Width + left) * 3, dst, y * width * 3, width * 3);
        return new RgbImage(width, height, dst);
    }
}
