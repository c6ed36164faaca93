using Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Engine.Data;

/// <summary>Image I/O: decoding on top of ImageSharp (PNG, JPEG, TIFF, BMP, GIF), failures become a
/// <see cref="DatasetException"/> naming the file; PNG encoding through <see cref="PngFileWriter"/> (zlib, half
/// ImageSharp's encoding time at the same sizes) with fixed settings and no metadata, so the same pixels always give
/// the same bytes (what makes converters idempotent).</summary>
public static class ImageFiles
{
    /// <summary>Width and height from the file header only (no pixel decoding).</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        var info = Guard(path, () => Image.Identify(path))
                   ?? throw new DatasetException($"'{path}' is not an image format this engine reads (PNG, JPEG, TIFF, BMP, GIF)");
        return (info.Width, info.Height);
    }

    public static RgbImage LoadRgb(string path)
    {
        using var image = Guard(path, () => Image.Load<Rgb24>(path));
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return new RgbImage(image.Width, image.Height, pixels);
    }

    /// <summary>Luminance (ImageSharp's L8 conversion) of any image file.</summary>
    public static (int Width, int Height, byte[] Gray) LoadGray(string path)
    {
        using var image = Guard(path, () => Image.Load<L8>(path));
        var gray = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(gray);
        return (image.Width, image.Height, gray);
    }

    /// <summary>Reads a prepared dataset mask and requires it to be strictly binary (every value 0 or 255).</summary>
    public static BinaryMask LoadStrictBinaryMask(string path)
    {
        var (w, h, gray) = LoadGray(path);
        for (int i = 0; i < gray.Length; i++)
            if (gray[i] != 0 && gray[i] != 255)
                throw new DatasetException($"mask '{path}' is not binary: pixel ({i % w}, {i / w}) has value {gray[i]} (expected only 0 and 255)");
        return BinaryMask.FromGray(w, h, gray, 128);
    }

    /// <summary>Reads a publisher's mask and binarises it: at 128 (JPEG masks are noisy around 0 and 255), or at
    /// &gt; 0 when the whole mask stays below 128 (label masks stored as 0/1).</summary>
    public static BinaryMask LoadAndBinarizeMask(string path)
    {
        var (w, h, gray) = LoadGray(path);
        byte max = 0;
        foreach (var v in gray) if (v > max) max = v;
        return BinaryMask.FromGray(w, h, gray, max is > 0 and < 128 ? (byte)1 : (byte)128);
    }

    public static byte[] EncodeMaskPng(BinaryMask mask)
    {
        var gray = new byte[mask.Data.Length];
        for (int i = 0; i < gray.Length; i++) gray[i] = mask.Data[i] ? (byte)255 : (byte)0;
        return EncodeGrayPng(mask.Width, mask.Height, gray);
    }

    public static byte[] EncodeGrayPng(int width, int height, byte[] gray) => PngFileWriter.EncodeGray(gray, width, height);

    public static byte[] EncodeRgbPng(RgbImage rgb) => PngFileWriter.EncodeRgb(rgb.Pixels, rgb.Width, rgb.Height);

    static T Guard<T>(string path, Func<T> load)
    {
        if (!File.Exists(path)) throw new DatasetException($"image file '{path}' does not exist");
        try { return load(); }
        catch (Exception e) when (e is ImageFormatException or UnknownImageFormatException or InvalidImageContentException
                                      or NotSupportedException or InvalidDataException or EndOfStreamException
                                      or IndexOutOfRangeException or ArgumentException)
        {
            throw new DatasetException($"cannot decode image '{path}': {e.Message}", e);
        }
    }
}
