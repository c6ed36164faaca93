using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;

namespace Engine.Data.Tests;

/// <summary>Builds tiny raw images and masks the way publishers ship them: a pink disc (the "polyp") on a dark red,
/// noisy background, its mask as 0/255 greyscale, saved as JPEG (noisy), PNG or TIFF.</summary>
public static class RawImages
{
    public const int W = 40, H = 32;

    public static (Image<Rgb24> Image, Image<L8> Mask) Polyp(int seed, int width = W, int height = H)
    {
        var rng = new Random(seed);
        double cx = rng.Next(10, width - 10), cy = rng.Next(9, height - 9), r = rng.Next(5, 8);
        var img = new Image<Rgb24>(width, height);
        var mask = new Image<L8>(width, height);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            bool inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
            int n = rng.Next(-6, 7);
            img[x, y] = inside ? new Rgb24((byte)(235 + n / 2), (byte)(150 + n), (byte)(170 + n)) : new Rgb24((byte)(90 + n), (byte)(30 + n), (byte)(25 + n));
            mask[x, y] = new L8(inside ? (byte)255 : (byte)0);
        }
        return (img, mask);
    }

    public static void Save(Image image, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        switch (ext)
        {
            case ".jpg" or ".jpeg": image.Save(path, new JpegEncoder { Quality = 70 }); break;
            case ".png": image.Save(path, new PngEncoder()); break;
            case ".tif" or ".tiff": image.Save(path, new TiffEncoder()); break;
            default: throw new ArgumentException(ext);
        }
    }

    /// <summary>Writes image and mask of sample <paramref name="seed"/> to the two paths.</summary>
    public static void WritePair(int seed, string imagePath, string maskPath)
    {
        var (img, mask) = Polyp(seed);
        using (img) using (mask)
        {
            Save(img, imagePath);
            Save(mask, maskPath);
        }
    }
}
