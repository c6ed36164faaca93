using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace Engine.Imaging.Tests;

/// <summary>The result-PNG encoder against ImageSharp's decoder (which checks every critical chunk's CRC): exact
/// pixels for gray, RGB and palette images of awkward sizes, streams long enough for several IDAT chunks, and
/// refused bad input.</summary>
public sealed class PngFileWriterTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static byte[] Noise(int n, int seed, int levels = 256)
    {
        var rng = new Random(seed);
        var b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte)rng.Next(levels);
        return b;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 5)]
    [InlineData(640, 480)] // RGB noise: ~900 KB of deflate output, several 256 KiB IDAT chunks
    public void Gray_and_rgb_round_trip_exactly(int width, int height)
    {
        var gray = Noise(width * height, 1);
        var rgb = Noise(width * height * 3, 2);
        PngFileWriter.WriteGray(PathOf("g.png"), gray, width, height);
        PngFileWriter.WriteRgb(PathOf("c.png"), rgb, width, height);

        using (var g = Image.Load<L8>(PathOf("g.png")))
        {
            var back = new byte[width * height];
            g.CopyPixelDataTo(back);
            Assert.Equal(gray, back);
        }
        var c = ImageLoader.Load(PathOf("c.png"));
        Assert.Equal((width, height), (c.Width, c.Height));
        Assert.Equal(rgb, c.Pixels);
        if (width * height > 100_000) Assert.True(CountChunks(PathOf("c.png"), "IDAT") >= 3);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(512, 300)]
    public void In_memory_encodings_round_trip_and_are_deterministic(int width, int height)
    {
        var gray = Noise(width * height, 3, levels: 7); // few levels, like a mask or a windowed CT slice
        var rgb = Noise(width * height * 3, 4);
        var g = PngFileWriter.EncodeGray(gray, width, height);
        var c = PngFileWriter.EncodeRgb(rgb, width, height);
        Assert.Equal(g, PngFileWriter.EncodeGray(gray, width, height)); // converters rely on same pixels -> same bytes
        Assert.Equal(c, PngFileWriter.EncodeRgb(rgb, width, height));
        using (var decoded = Image.Load<L8>(g))
        {
            var back = new byte[width * height];
            decoded.CopyPixelDataTo(back);
            Assert.Equal(gray, back);
        }
        using (var decoded = Image.Load<Rgb24>(c))
        {
            var back = new byte[width * height * 3];
            decoded.CopyPixelDataTo(back);
            Assert.Equal(rgb, back);
        }
        Assert.Throws<ArgumentException>(() => PngFileWriter.EncodeRgb(rgb, width + 1, height));
    }

    [Fact]
    public void Palette_images_keep_their_indices_and_colours()
    {
        var palette = Enumerable.Range(0, 256).Select(k => new RgbColor((byte)k, (byte)(255 - k), (byte)(k * 7))).ToArray();
        var indices = Noise(300 * 7, 3);
        PngFileWriter.WritePalette(PathOf("p.png"), indices, 300, 7, palette);
        var decoded = ImageLoader.Load(PathOf("p.png"));
        for (int i = 0; i < indices.Length; i++)
        {
            var want = palette[indices[i]];
            Assert.Equal((want.R, want.G, want.B), (decoded.Pixels[3 * i], decoded.Pixels[3 * i + 1], decoded.Pixels[3 * i + 2]));
        }
        Assert.Contains("past the 4 colours", Assert.Throws<ArgumentException>(() => PngFileWriter.WritePalette(PathOf("bad.png"), indices, 300, 7, palette.AsSpan(0, 4))).Message);
    }

    [Fact]
    public void A_damaged_chunk_is_caught_by_the_decoder_so_the_round_trips_check_the_crcs()
    {
        PngFileWriter.WriteGray(PathOf("g.png"), Noise(64 * 64, 4), 64, 64);
        var bytes = File.ReadAllBytes(PathOf("g.png"));
        bytes[8 + 8 + 13 + 1] ^= 0x55; // a byte of the IHDR CRC
        File.WriteAllBytes(PathOf("g.png"), bytes);
        Assert.ThrowsAny<Exception>(() => Image.Load<L8>(PathOf("g.png")));
    }

    [Fact]
    public void Bad_sizes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => PngFileWriter.WriteGray(PathOf("x.png"), new byte[10], 4, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngFileWriter.WriteRgb(PathOf("x.png"), Array.Empty<byte>(), 0, 3));
        Assert.Throws<ArgumentException>(() => PngFileWriter.WritePalette(PathOf("x.png"), new byte[4], 2, 2, Array.Empty<RgbColor>()));
    }

    private static int CountChunks(string path, string type)
    {
        var png = File.ReadAllBytes(path);
        int count = 0;
        for (int pos = 8; pos < png.Length;)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            if (System.Text.Encoding.ASCII.GetString(png, pos + 4, 4) == type) count++;
            pos += 12 + length;
        }
        return count;
    }
}
