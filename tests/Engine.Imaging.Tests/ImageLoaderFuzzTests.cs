using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace Engine.Imaging.Tests;

/// <summary>Randomly corrupted files of every format: the loader returns an image or throws InvalidDataException, nothing else.</summary>
public class ImageLoaderFuzzTests
{
    [Fact]
    public void CorruptedFilesFailCleanly()
    {
        using var img = new Image<Rgb24>(24, 16);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 24; x++)
                img[x, y] = new Rgb24((byte)(x * 10), (byte)(y * 15), (byte)((x + y) * 5));
        var encoders = new (string Name, SixLabors.ImageSharp.Formats.IImageEncoder Encoder)[]
        {
            ("png", new PngEncoder()), ("jpeg", new JpegEncoder()), ("bmp", new BmpEncoder()), ("tiff", new TiffEncoder()), ("gif", new GifEncoder()),
        };
        var rng = new Random(42);
        int decoded = 0, refused = 0;
        foreach (var (name, encoder) in encoders)
        {
            using var ms = new MemoryStream();
            img.Save(ms, encoder);
            var original = ms.ToArray();
            for (int trial = 0; trial < 150; trial++)
            {
                var bytes = (byte[])original.Clone();
                int kind = trial % 3;
                if (kind == 0) for (int k = rng.Next(1, 8); k > 0; k--) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                else if (kind == 1) bytes = bytes.AsSpan(0, rng.Next(1, bytes.Length)).ToArray();
                else for (int k = rng.Next(1, 4); k > 0; k--) bytes[rng.Next(Math.Min(64, bytes.Length))] ^= (byte)(1 << rng.Next(8));
                try
                {
                    var result = ImageLoader.Load(bytes, $"{name}#{trial}", new ImageLoadOptions { MaxSide = 4096, MaxPixels = 4_000_000 });
                    Assert.True(result.Width > 0 && result.Height > 0);
                    decoded++;
                }
                catch (InvalidDataException e)
                {
                    Assert.Contains($"{name}#{trial}", e.Message);
                    refused++;
                }
            }
        }
        Assert.True(refused > 100, $"only {refused} corrupted files were refused ({decoded} decoded)");
    }
}
