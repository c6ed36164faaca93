using System.Runtime.ExceptionServices;

namespace Engine.Imaging;

/// <summary>
/// Writes segmentation results as PNG files (<see cref="PngFileWriter"/>: with ImageSharp's encoder the PNGs of a
/// 1280 x 1024 image and 2 prompts took 2.4 s against the CLIPSeg forward's 0.55 s). All inputs are plain row-major
/// arrays with their size; the functions have no other state. Parent folders are created.
/// </summary>
public static class OutputWriters
{
    /// <summary>Default tint colours for prompts 1, 2, …, also the label-map palette after black (background).</summary>
    public static readonly RgbColor[] DefaultColors =
    {
        new(230, 25, 75), new(60, 180, 75), new(0, 130, 200), new(255, 225, 25), new(245, 130, 48), new(145, 30, 180),
        new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212), new(0, 128, 128), new(220, 190, 255),
        new(170, 110, 40), new(255, 250, 200), new(128, 0, 0), new(170, 255, 195), new(128, 128, 0), new(255, 215, 180),
        new(0, 0, 128), new(128, 128, 128),
    };

    /// <summary>Runs independent writes (each one single-threaded PNG encode) side by side; a failure surfaces as
    /// itself (e.g. the IOException naming its file), not wrapped in an AggregateException.</summary>
    public static void WriteInParallel(IReadOnlyList<Action> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        try { Parallel.ForEach(writes, write => write()); }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0) { ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw(); }
    }

    /// <summary>Binary mask PNG (8-bit gray): 255 where probability &gt; threshold, else 0.</summary>
    public static void WriteBinaryMask(string path, float[] probabilities, int width, int height, float threshold = 0.5f) =>
        WriteGray(path, MaskMaps.Threshold(Check(probabilities, width, height), threshold), width, height);

    /// <summary>An 8-bit gray PNG of arbitrary byte values (e.g. a 0/255 mask).</summary>
    public static void WriteGray(string path, byte[] values, int width, int height)
    {
        Check(values.Length, width, height);
        PngFileWriter.WriteGray(CreateFolderOf(path), values, width, height);
    }

    /// <summary>Probability map PNG: gray round(p·255) or a colour map; values are clamped to [0, 1].</summary>
    public static void WriteProbabilityMap(string path, float[] probabilities, int width, int height, ColorMap colorMap = ColorMap.Gray)
    {
        Check(probabilities, width, height);
        if (colorMap == ColorMap.Gray)
        {
            var gray = new byte[probabilities.Length];
            for (int i = 0; i < gray.Length; i++) gray[i] = ToByte(probabilities[i]);
            WriteGray(path, gray, width, height);
            return;
        }
        var rgb = new byte[probabilities.Length * 3];
        for (int i = 0; i < probabilities.Length; i++)
        {
            var c = Jet(probabilities[i]);
            rgb[3 * i] = c.R;
            rgb[3 * i + 1] = c.G;
            rgb[3 * i + 2] = c.B;
        }
        WriteRgb(path, new RgbImage(width, height, rgb));
    }

    /// <summary>An RGB image as PNG.</summary>
    public static void WriteRgb(string path, RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        PngFileWriter.WriteRgb(CreateFolderOf(path), image.Pixels, image.Width, image.Height);
    }

    /// <summary>
    /// Overlay PNG: the image with each mask tinted in its colour (alpha blend) and outlined (mask pixels with a
    /// 4-neighbour outside the mask, thickened to <paramref name="outlineWidth"/> pixels) in the solid colour.
    /// Masks are non-zero = inside, at the image's size.
    /// </summary>
    public static void WriteOverlay(string path, RgbImage image, IReadOnlyList<byte[]> masks, IReadOnlyList<RgbColor>? colors = null,
        float alpha = 0.4f, int outlineWidth = 2) =>
        WriteRgb(path, RenderOverlay(image, masks, colors, alpha, outlineWidth));

    /// <summary>The overlay as an image (see <see cref="WriteOverlay"/>).</summary>
    public static RgbImage RenderOverlay(RgbImage image, IReadOnlyList<byte[]> masks, IReadOnlyList<RgbColor>? colors = null,
        float alpha = 0.4f, int outlineWidth = 2)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(masks);
        if (alpha is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(alpha), "Alpha must lie in [0, 1].");
        colors ??= DefaultColors;
        int w = image.Width, h = image.Height;
        var output = (byte[])image.Pixels.Clone();
        for (int m = 0; m < masks.Count; m++)
        {
            var mask = masks[m];
            Check(mask.Length, w, h);
            var color = colors[m % colors.Count];
            var edge = Outline(mask, w, h, Math.Max(0, outlineWidth));
            for (int i = 0; i < w * h; i++)
            {
                if (mask[i] == 0) continue;
                if (edge[i])
                {
                    output[3 * i] = color.R;
                    output[3 * i + 1] = color.G;
                    output[3 * i + 2] = color.B;
                    continue;
                }
                output[3 * i] = Blend(output[3 * i], color.R, alpha);
                output[3 * i + 1] = Blend(output[3 * i + 1], color.G, alpha);
                output[3 * i + 2] = Blend(output[3 * i + 2], color.B, alpha);
            }
        }
        return new RgbImage(w, h, output);
    }

    /// <summary>
    /// Label map PNG with a palette: pixel value = class index (0 background, k = prompt k), palette entry 0 black
    /// and entry k = <paramref name="colors"/>[k − 1] (default <see cref="DefaultColors"/>). Viewers show colours,
    /// tools that read the palette indices get the class ids.
    /// </summary>
    public static void WriteLabelMap(string path, byte[] labels, int width, int height, IReadOnlyList<RgbColor>? colors = null)
    {
        Check(labels.Length, width, height);
        colors ??= DefaultColors;
        if (colors.Count == 0) throw new ArgumentException("A label map needs at least one colour.", nameof(colors));
        int classes = labels.Length == 0 ? 1 : labels.Max() + 1;
        var palette = new RgbColor[Math.Max(classes, 2)];
        palette[0] = new RgbColor(0, 0, 0);
        for (int k = 1; k < palette.Length; k++) palette[k] = colors[(k - 1) % colors.Count];
        // The indices are written as they are: a colour used twice (more classes than colours) still keeps them apart.
        PngFileWriter.WritePalette(CreateFolderOf(path), labels, width, height, palette);
    }

    /// <summary>The "jet" colour of a value in [0, 1].</summary>
    public static RgbColor Jet(float p)
    {
        float v = float.IsNaN(p) ? 0 : Math.Clamp(p, 0f, 1f);
        static byte Ch(float x) => (byte)MathF.Round(255 * Math.Clamp(x, 0f, 1f));
        return new RgbColor(Ch(1.5f - MathF.Abs(4 * v - 3)), Ch(1.5f - MathF.Abs(4 * v - 2)), Ch(1.5f - MathF.Abs(4 * v - 1)));
    }

    private static byte ToByte(float p) => float.IsNaN(p) ? (byte)0 : (byte)MathF.Round(Math.Clamp(p, 0f, 1f) * 255f);

    private static byte Blend(byte under, byte over, float alpha) => (byte)MathF.Round(under * (1 - alpha) + over * alpha);

    /// <summary>
    /// Mask pixels within <paramref name="width"/> pixels (chessboard distance) of a pixel outside the mask; the
    /// image border does not count as outside. Computed as a separable box dilation of the outside set, O(w·h).
    /// </summary>
    private static bool[] Outline(byte[] mask, int w, int h, int width)
    {
        var edge = new bool[w * h];
        if (width == 0) return edge;
        // Horizontal pass: does the window [x − width, x + width] of row y hold an outside pixel?
        var near = new bool[w * h];
        for (int y = 0; y < h; y++)
        {
            int count = 0, row = y * w;
            for (int x = 0; x < Math.Min(width, w); x++) if (mask[row + x] == 0) count++;
            for (int x = 0; x < w; x++)
            {
                int enter = x + width, leave = x - width - 1;
                if (enter < w && mask[row + enter] == 0) count++;
                if (leave >= 0 && mask[row + leave] == 0) count--;
                near[row + x] = count > 0;
            }
        }
        // Vertical pass over the horizontal result.
        for (int x = 0; x < w; x++)
        {
            int count = 0;
            for (int y = 0; y < Math.Min(width, h); y++) if (near[y * w + x]) count++;
            for (int y = 0; y < h; y++)
            {
                int enter = y + width, leave = y - width - 1;
                if (enter < h && near[enter * w + x]) count++;
                if (leave >= 0 && near[leave * w + x]) count--;
                edge[y * w + x] = count > 0 && mask[y * w + x] != 0;
            }
        }
        return edge;
    }

    private static float[] Check(float[] values, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(values);
        Check(values.Length, width, height);
        return values;
    }

    private static void Check(int length, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Size must be positive, got {width}x{height}.");
        if (length != width * height) throw new ArgumentException($"Got {length} values for a {width}x{height} map ({width * height} expected).");
    }

    /// <summary>Creates the folder <paramref name="path"/> goes into; returns the path.</summary>
    private static string CreateFolderOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        return path;
    }
}
