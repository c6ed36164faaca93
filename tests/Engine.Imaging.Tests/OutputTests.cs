using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace Engine.Imaging.Tests;

/// <summary>Mask/probability/overlay/label-map PNG writers and the map helpers (resize, threshold, argmax, letterbox).</summary>
public sealed class OutputTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static byte[] ReadGray(string path)
    {
        using var img = Image.Load<L8>(path);
        var values = new byte[img.Width * img.Height];
        img.CopyPixelDataTo(values);
        return values;
    }

    [Fact]
    public void BinaryMaskAndProbabilityMapRoundTrip()
    {
        var p = new[] { 0f, 0.25f, 0.5f, 0.51f, 1f, 2f, -1f, float.NaN };
        OutputWriters.WriteBinaryMask(PathOf("sub/mask.png"), p, 4, 2, threshold: 0.5f);
        Assert.Equal(new byte[] { 0, 0, 0, 255, 255, 255, 0, 0 }, ReadGray(PathOf("sub/mask.png")));
        OutputWriters.WriteProbabilityMap(PathOf("prob.png"), p, 4, 2);
        Assert.Equal(new byte[] { 0, 64, 128, 130, 255, 255, 0, 0 }, ReadGray(PathOf("prob.png")));
        OutputWriters.WriteProbabilityMap(PathOf("jet.png"), p, 4, 2, ColorMap.Jet);
        var jet = ImageLoader.Load(PathOf("jet.png"));
        Assert.Equal((0, 0, 128), (jet[0, 0, 0], jet[0, 0, 1], jet[0, 0, 2]));   // 0 → dark blue
        Assert.Equal((128, 0, 0), (jet[0, 1, 0], jet[0, 1, 1], jet[0, 1, 2]));   // 1 → dark red
        Assert.Throws<ArgumentException>(() => OutputWriters.WriteBinaryMask(PathOf("bad.png"), p, 3, 3));
    }

    [Fact]
    public void ParallelWritesAllLandAndAFailureSurfacesUnwrapped()
    {
        var masks = Enumerable.Range(0, 6).Select(k => Enumerable.Range(0, 40 * 30).Select(i => (byte)((i + k) % 7 == 0 ? 255 : 0)).ToArray()).ToList();
        OutputWriters.WriteInParallel(masks.Select((m, k) => (Action)(() => OutputWriters.WriteGray(PathOf($"sub/m{k}.png"), m, 40, 30))).ToList());
        for (int k = 0; k < masks.Count; k++)
        {
            var back = ImageLoader.Load(PathOf($"sub/m{k}.png"));
            for (int i = 0; i < 40 * 30; i++) Assert.Equal(masks[k][i], back.Pixels[3 * i]);
        }
        // A folder that is a file: the IOException itself, not an AggregateException around it.
        File.WriteAllText(PathOf("blocker"), "x");
        Assert.ThrowsAny<IOException>(() => OutputWriters.WriteInParallel(new Action[]
        {
            () => OutputWriters.WriteGray(PathOf("ok.png"), masks[0], 40, 30),
            () => OutputWriters.WriteGray(PathOf("blocker/m.png"), masks[0], 40, 30),
        }));
    }

    [Fact]
    public void OverlayTintsInsideAndOutlinesTheBoundary()
    {
        var gray = new RgbImage(6, 6, Enumerable.Repeat((byte)100, 108).ToArray());
        var mask = new byte[36];
        for (int y = 1; y < 5; y++) for (int x = 1; x < 5; x++) mask[y * 6 + x] = 1; // 4×4 square
        var red = new RgbColor(255, 0, 0);
        var overlay = OutputWriters.RenderOverlay(gray, new[] { mask }, new[] { red }, alpha: 0.5f, outlineWidth: 1);
        Assert.Equal((100, 100, 100), (overlay[0, 0, 0], overlay[0, 0, 1], overlay[0, 0, 2])); // outside untouched
        Assert.Equal((255, 0, 0), (overlay[1, 1, 0], overlay[1, 1, 1], overlay[1, 1, 2]));     // boundary: solid
        Assert.Equal((178, 50, 50), (overlay[2, 2, 0], overlay[2, 2, 1], overlay[2, 2, 2]));   // inside: 0.5·100 + 0.5·255 = 177.5 → 178
        // Outline widths 1..3 on a random blob against a naive per-pixel neighbourhood scan.
        var rng = new Random(3);
        const int n = 14;
        var canvas = new RgbImage(n, n, Enumerable.Repeat((byte)100, n * n * 3).ToArray());
        var blob = Enumerable.Range(0, n * n).Select(i => (byte)(rng.Next(10) < 8 ? 1 : 0)).ToArray();
        for (int width = 1; width <= 3; width++)
        {
            var thick = OutputWriters.RenderOverlay(canvas, new[] { blob }, new[] { red }, alpha: 0.5f, outlineWidth: width);
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                {
                    bool inside = blob[y * n + x] != 0, nearOutside = false;
                    for (int dy = -width; dy <= width; dy++)
                        for (int dx = -width; dx <= width; dx++)
                            if (x + dx >= 0 && x + dx < n && y + dy >= 0 && y + dy < n && blob[(y + dy) * n + x + dx] == 0) nearOutside = true;
                    byte expectedR = !inside ? (byte)100 : nearOutside ? (byte)255 : (byte)178;
                    Assert.Equal(expectedR, thick[x, y, 0]);
                }
        }
        OutputWriters.WriteOverlay(PathOf("o.png"), gray, new[] { mask }, new[] { red }, 0.5f, 1);
        Assert.Equal(overlay.Pixels, ImageLoader.Load(PathOf("o.png")).Pixels);
    }

    [Fact]
    public void LabelMapIsAPalettePngWhoseIndicesAreClassIds()
    {
        var labels = new byte[] { 0, 1, 2, 3, 3, 2, 1, 0 };
        OutputWriters.WriteLabelMap(PathOf("labels.png"), labels, 4, 2);
        var bytes = File.ReadAllBytes(PathOf("labels.png"));
        Assert.Equal(3, bytes[25]); // IHDR colour type 3 = indexed colour
        Assert.Equal(8, bytes[24]); // bit depth
        var decoded = ImageLoader.Load(PathOf("labels.png"));
        var palette = new[] { new RgbColor(0, 0, 0) }.Concat(OutputWriters.DefaultColors).ToArray();
        for (int i = 0; i < labels.Length; i++)
        {
            var expected = palette[labels[i]];
            Assert.Equal((expected.R, expected.G, expected.B), (decoded.Pixels[3 * i], decoded.Pixels[3 * i + 1], decoded.Pixels[3 * i + 2]));
        }
        Assert.Equal(labels, ReadPaletteIndices(bytes, 4, 2));
    }

    /// <summary>Inflates the IDAT stream of an 8-bit palette PNG and undoes the per-row filters.</summary>
    private static byte[] ReadPaletteIndices(byte[] png, int width, int height)
    {
        var idat = new MemoryStream();
        for (int pos = 8; pos < png.Length;)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            if (type == "IDAT") idat.Write(png, pos + 8, length);
            pos += 12 + length;
        }
        idat.Position = 0;
        using var z = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        var data = raw.ToArray();
        var output = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            int filter = data[y * (width + 1)];
            for (int x = 0; x < width; x++)
            {
                int v = data[y * (width + 1) + 1 + x];
                int left = x > 0 ? output[y * width + x - 1] : 0, up = y > 0 ? output[(y - 1) * width + x] : 0;
                int upLeft = x > 0 && y > 0 ? output[(y - 1) * width + x - 1] : 0;
                v += filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    _ => Paeth(left, up, upLeft),
                };
                output[y * width + x] = (byte)v;
            }
        }
        return output;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    [Fact]
    public void LabelMapArgmaxWithBackground()
    {
        var a = new[] { 0.9f, 0.2f, 0.6f, 0.7f };
        var b = new[] { 0.8f, 0.3f, 0.9f, 0.7f };
        Assert.Equal(new byte[] { 1, 0, 2, 1 }, MaskMaps.LabelMap(new[] { a, b }, 0.5f)); // tie → first prompt
        Assert.Equal(new byte[] { 255, 0, 255, 255 }, MaskMaps.Threshold(a, 0.5f));
        Assert.Equal(0.5f, MaskMaps.Sigmoid(new[] { 0f })[0]);
    }

    [Fact]
    public void BilinearMapResizeMatchesNaiveTorchFormula()
    {
        var rng = new Random(5);
        foreach (var (w, h, nw, nh) in new[] { (4, 3, 9, 7), (8, 8, 3, 5), (5, 5, 5, 5), (1, 3, 4, 2) })
        {
            var map = Enumerable.Range(0, w * h).Select(_ => (float)rng.NextDouble()).ToArray();
            var got = MapResize.Bilinear(map, w, h, nw, nh);
            for (int y = 0; y < nh; y++)
                for (int x = 0; x < nw; x++)
                {
                    // torch upsample_bilinear2d, align_corners=False, in double.
                    double sx = Math.Max((x + 0.5) * w / nw - 0.5, 0), sy = Math.Max((y + 0.5) * h / nh - 0.5, 0);
                    int x0 = Math.Min((int)sx, w - 1), y0 = Math.Min((int)sy, h - 1);
                    int x1 = Math.Min(x0 + 1, w - 1), y1 = Math.Min(y0 + 1, h - 1);
                    double fx = sx - x0, fy = sy - y0;
                    double v = (1 - fy) * ((1 - fx) * map[y0 * w + x0] + fx * map[y0 * w + x1]) + fy * ((1 - fx) * map[y1 * w + x0] + fx * map[y1 * w + x1]);
                    Assert.True(Math.Abs(v - got[y * nw + x]) < 1e-5, $"{w}x{h}->{nw}x{nh} at ({x},{y}): {got[y * nw + x]} vs {v}");
                }
        }
    }

    [Fact]
    public void NearestMaskResizeConventions()
    {
        var mask = new byte[] { 1, 2, 3, 4 };
        Assert.Equal(new byte[] { 1, 1, 2, 2, 3, 3, 4, 4 }, MapResize.Nearest(mask, 4, 1, 8, 1));
        Assert.Equal(new byte[] { 2, 4 }, MapResize.Nearest(mask, 4, 1, 2, 1, halfPixel: true));  // PIL / nearest-exact
        Assert.Equal(new byte[] { 1, 3 }, MapResize.Nearest(mask, 4, 1, 2, 1, halfPixel: false)); // torch "nearest"
    }

    [Fact]
    public void LetterboxGeometryAndRoundTrip()
    {
        // 8×4 image into 8×8: scale 1, 2 rows of border above and below.
        var img = new RgbImage(8, 4, Enumerable.Range(0, 96).Select(i => (byte)(i * 2)).ToArray());
        var boxed = Letterbox.Apply(img, 8, 8, Letterbox.ClipMeanBorder, out var t);
        Assert.Equal(1.0, t.Scale);
        Assert.Equal(2.0, t.OffsetY);
        Assert.Equal((123, 117, 104), (boxed[3, 0, 0], boxed[3, 0, 1], boxed[3, 0, 2]));
        Assert.Equal(img.Pixels.AsSpan(0, 24).ToArray(), boxed.Pixels.AsSpan(2 * 24, 24).ToArray()); // integer shift is exact
        // A map on the canvas goes back to the source size.
        var canvas = Enumerable.Range(0, 64).Select(i => i / 8 is >= 2 and < 6 ? 1f : 0f).ToArray();
        var back = Letterbox.Invert(canvas, t);
        Assert.Equal(32, back.Length);
        Assert.All(back, v => Assert.Equal(1f, v, 5));
        // Downscaled letterbox: 16×8 → 8×8 (scale 0.5, offset y 2).
        var wide = Letterbox.Apply(new RgbImage(16, 8, new byte[384]), 8, 8, new RgbColor(9, 9, 9), out var t2);
        Assert.Equal(0.5, t2.Scale);
        Assert.Equal(9, wide[4, 0, 0]);
        Assert.Equal(0, wide[4, 4, 0]);
    }
}
