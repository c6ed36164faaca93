using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace Engine.Imaging.Tests;

/// <summary>Decoding of the supported formats and pixel layouts, EXIF orientation, limits and bad input.</summary>
public sealed class ImageLoaderTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>A 4×3 test card: pixel (x, y) = (40x + 10, 50y + 20, 200 − 30x).</summary>
    private static Image<Rgb24> Card()
    {
        var img = new Image<Rgb24>(4, 3);
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
                img[x, y] = new Rgb24((byte)(40 * x + 10), (byte)(50 * y + 20), (byte)(200 - 30 * x));
        return img;
    }

    private static void AssertCard(RgbImage img)
    {
        Assert.Equal(4, img.Width);
        Assert.Equal(3, img.Height);
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
            {
                Assert.Equal(40 * x + 10, img[x, y, 0]);
                Assert.Equal(50 * y + 20, img[x, y, 1]);
                Assert.Equal(200 - 30 * x, img[x, y, 2]);
            }
    }

    [Fact]
    public void LosslessFormatsDecodeExactly()
    {
        using var card = Card();
        card.Save(PathOf("a.png"), new PngEncoder());
        card.Save(PathOf("a.bmp"), new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
        card.Save(PathOf("a.tiff"), new TiffEncoder());
        foreach (var name in new[] { "a.png", "a.bmp", "a.tiff" }) AssertCard(ImageLoader.Load(PathOf(name)));
        AssertCard(ImageLoader.Load(File.ReadAllBytes(PathOf("a.png"))));
        Assert.Equal(new[] { "a.bmp", "a.png", "a.tiff" }, ImageLoader.ListImages(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void ExpandImagePathsKeepsFilesExpandsFoldersAndNamesBadPaths()
    {
        using (var card = Card()) card.Save(PathOf("b.png"), new PngEncoder());
        File.Copy(PathOf("b.png"), PathOf("a.png"));
        File.WriteAllText(PathOf("notes.txt"), "not an image");
        var sub = Directory.CreateDirectory(PathOf("sub")).FullName;
        File.Copy(PathOf("b.png"), Path.Combine(sub, "c.png"));

        var files = ImageLoader.ExpandImagePaths(new[] { Path.Combine(sub, "c.png"), _dir });
        Assert.Equal(new[] { "c.png", "a.png", "b.png" }, files.Select(Path.GetFileName));

        var missing = Assert.Throws<FileNotFoundException>(() => ImageLoader.ExpandImagePaths(new[] { PathOf("nope.png") }));
        Assert.Contains("nope.png", missing.Message);
        var empty = Directory.CreateDirectory(PathOf("empty")).FullName;
        var noImages = Assert.Throws<FileNotFoundException>(() => ImageLoader.ExpandImagePaths(new[] { empty }));
        Assert.Contains("holds no images", noImages.Message);
    }

    [Fact]
    public void GrayscaleAndSixteenBitBecomeRgb()
    {
        using (var gray = new Image<L8>(2, 1))
        {
            gray[0, 0] = new L8(7);
            gray[1, 0] = new L8(250);
            gray.Save(PathOf("g.png"), new PngEncoder { ColorType = PngColorType.Grayscale });
        }
        Assert.Equal(new byte[] { 7, 7, 7, 250, 250, 250 }, ImageLoader.Load(PathOf("g.png")).Pixels);

        // 16-bit gray: v·255/65535 rounded (PIL would clip at 255 instead).
        using (var deep = new Image<L16>(4, 1))
        {
            deep[0, 0] = new L16(0);
            deep[1, 0] = new L16(100 * 257);
            deep[2, 0] = new L16(128 * 257 + 100);
            deep[3, 0] = new L16(65535);
            deep.Save(PathOf("d.png"), new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 });
        }
        var info = Image.Identify(PathOf("d.png"));
        Assert.Equal(16, info.PixelType.BitsPerPixel);
        Assert.Equal(new byte[] { 0, 0, 0, 100, 100, 100, 128, 128, 128, 255, 255, 255 }, ImageLoader.Load(PathOf("d.png")).Pixels);

        using (var rgb48 = new Image<Rgb48>(1, 1))
        {
            rgb48[0, 0] = new Rgb48(65535, 257 * 3, 0);
            rgb48.Save(PathOf("rgb48.png"), new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });
        }
        Assert.Equal(new byte[] { 255, 3, 0 }, ImageLoader.Load(PathOf("rgb48.png")).Pixels);
    }

    [Fact]
    public void PaletteAndAlphaAreExpandedAndDropped()
    {
        using (var card = Card())
            card.Save(PathOf("p.png"), new PngEncoder { ColorType = PngColorType.Palette });
        AssertCard(ImageLoader.Load(PathOf("p.png")));

        using (var rgba = new Image<Rgba32>(2, 1))
        {
            rgba[0, 0] = new Rgba32(10, 20, 30, 0);      // fully transparent: colour kept, alpha dropped (PIL convert("RGB"))
            rgba[1, 0] = new Rgba32(200, 100, 50, 128);
            rgba.Save(PathOf("rgba.png"), new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
        }
        Assert.Equal(new byte[] { 10, 20, 30, 200, 100, 50 }, ImageLoader.Load(PathOf("rgba.png")).Pixels);

        using (var card = Card())
            card.Save(PathOf("c.gif"), new GifEncoder());
        AssertCard(ImageLoader.Load(PathOf("c.gif"))); // 12 colours fit the GIF palette exactly
    }

    [Theory]
    [InlineData(1, 8, 4)]
    [InlineData(3, 8, 4)]
    [InlineData(6, 4, 8)]
    [InlineData(8, 4, 8)]
    public void ExifOrientationIsApplied(ushort orientation, int expectedWidth, int expectedHeight)
    {
        // 8×4 JPEG: left half red, right half blue (large flat areas survive JPEG compression).
        using (var img = new Image<Rgb24>(8, 4))
        {
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 8; x++)
                    img[x, y] = x < 4 ? new Rgb24(255, 0, 0) : new Rgb24(0, 0, 255);
            img.Metadata.ExifProfile = new ExifProfile();
            img.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
            img.Save(PathOf("o.jpg"), new JpegEncoder { Quality = 100 });
        }
        var loaded = ImageLoader.Load(PathOf("o.jpg"));
        Assert.Equal(expectedWidth, loaded.Width);
        Assert.Equal(expectedHeight, loaded.Height);
        // Where the red half ends up: 1 = as stored (left), 3 = rotated 180° (right), 6 = rotated 90° clockwise
        // for display (top), 8 = rotated 90° counter-clockwise (bottom).
        (int x, int y) redProbe = orientation switch { 1 => (1, 1), 3 => (6, 1), 6 => (1, 1), _ => (1, 6) };
        (int x, int y) blueProbe = orientation switch { 1 => (6, 2), 3 => (1, 2), 6 => (2, 6), _ => (2, 1) };
        Assert.True(loaded[redProbe.x, redProbe.y, 0] > 200 && loaded[redProbe.x, redProbe.y, 2] < 60, $"red expected at {redProbe}");
        Assert.True(loaded[blueProbe.x, blueProbe.y, 2] > 200 && loaded[blueProbe.x, blueProbe.y, 0] < 60, $"blue expected at {blueProbe}");

        var raw = ImageLoader.Load(PathOf("o.jpg"), new ImageLoadOptions { ApplyExifOrientation = false });
        Assert.Equal(8, raw.Width);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => ImageLoader.Load(PathOf("none.png")));
        Assert.Contains("none.png", missing.Message);

        File.WriteAllText(PathOf("text.png"), "this is not an image");
        var notImage = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(PathOf("text.png")));
        Assert.Contains("text.png", notImage.Message);

        using (var card = Card()) card.Save(PathOf("t.png"), new PngEncoder());
        var bytes = File.ReadAllBytes(PathOf("t.png"));
        File.WriteAllBytes(PathOf("truncated.png"), bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var truncated = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(PathOf("truncated.png")));
        Assert.Contains("truncated.png", truncated.Message);

        var corrupt = (byte[])bytes.Clone();
        for (int i = 40; i < corrupt.Length - 12; i++) corrupt[i] ^= 0x5A; // scrambles IDAT (CRC and zlib break)
        File.WriteAllBytes(PathOf("corrupt.png"), corrupt);
        Assert.Throws<InvalidDataException>(() => ImageLoader.Load(PathOf("corrupt.png")));

        var tooBig = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(PathOf("t.png"), new ImageLoadOptions { MaxSide = 3 }));
        Assert.Contains("over the limit", tooBig.Message);
        Assert.Throws<InvalidDataException>(() => ImageLoader.Load(PathOf("t.png"), new ImageLoadOptions { MaxPixels = 11 }));
        Assert.Throws<DirectoryNotFoundException>(() => ImageLoader.ListImages(PathOf("nope")));
    }

    [Fact]
    public void HugeDeclaredSizeIsRefusedBeforeDecoding()
    {
        // A PNG header claiming 100000×100000 pixels with no data: must be refused from the header alone.
        using (var card = Card()) card.Save(PathOf("h.png"), new PngEncoder());
        var bytes = File.ReadAllBytes(PathOf("h.png"));
        // IHDR width/height at offsets 16..23 (big-endian); the chunk CRC is then wrong, which the check precedes.
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), 100_000);
        var crc = PngCrc(bytes.AsSpan(12, 17));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), crc);
        File.WriteAllBytes(PathOf("huge.png"), bytes);
        var e = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(PathOf("huge.png")));
        Assert.Contains("100000x100000", e.Message);
    }

    /// <summary>PNG's CRC-32 (polynomial 0xEDB88320) over a chunk's type and data.</summary>
    private static uint PngCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
