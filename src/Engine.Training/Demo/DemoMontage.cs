using Engine.Data;
using Engine.Imaging;
using Engine.Training.Data;

namespace Engine.Training.Demo;

/// <summary>
/// One picture of the demo's result: per test image (rows) the image, the mask predicted for the prompt naming the
/// bright object (red) and the one for the prompt naming the dark object (green), each outlined over the image, with
/// the true object outlined in white; enlarged with nearest-neighbour so 64x64 images are visible.
/// </summary>
public static class DemoMontage
{
    private static readonly RgbColor Bright = new(230, 25, 75), Dark = new(60, 200, 75), Truth = new(255, 255, 255);

    /// <param name="masks">Predicted mask of each test record.</param>
    /// <param name="kindOf">"bright" / "dark" for each test record (its prompt's kind).</param>
    public static void Write(string path, SegmentationDataset testSet, IReadOnlyDictionary<int, BinaryMask> masks, Func<int, string> kindOf, int rows = 8, int scale = 4)
    {
        var images = Enumerable.Range(0, testSet.Count).GroupBy(i => testSet.Records[i].ImageName, StringComparer.Ordinal)
            .Select(g => g.ToArray()).Where(r => r.Length == 2 && r.All(masks.ContainsKey)).Take(rows).ToList();
        if (images.Count == 0) return;
        var first = testSet.LoadImage(images[0][0]);
        int w = first.Width * scale, h = first.Height * scale, gap = 4;
        int width = 3 * w + 4 * gap, height = images.Count * h + (images.Count + 1) * gap;
        var canvas = new byte[width * height * 3];
        Array.Fill(canvas, (byte)40);
        for (int row = 0; row < images.Count; row++)
        {
            var recs = images[row];
            var image = Enlarge(testSet.LoadImage(recs[0]), scale);
            if (image.Width != w || image.Height != h) continue; // the synthetic images all share one size
            int top = gap + row * (h + gap);
            Blit(canvas, width, image, gap, top);
            int column = 1;
            foreach (var kind in new[] { "bright", "dark" })
            {
                int r = recs.FirstOrDefault(x => kindOf(x) == kind, -1);
                if (r < 0) { column++; continue; }
                var predicted = EnlargeMask(masks[r], scale);
                var truth = EnlargeMask(testSet.LoadMask(r), scale);
                var overlay = OutputWriters.RenderOverlay(image, new[] { predicted }, new[] { kind == "bright" ? Bright : Dark }, alpha: 0.45f, outlineWidth: 2);
                overlay = OutputWriters.RenderOverlay(overlay, new[] { Outline(truth, w, h) }, new[] { Truth }, alpha: 1f, outlineWidth: 0);
                Blit(canvas, width, overlay, gap + column * (w + gap), top);
                column++;
            }
        }
        OutputWriters.WriteRgb(path, new RgbImage(width, height, canvas));
    }

    private static RgbImage Enlarge(RgbImage image, int s)
    {
        int w = image.Width * s, h = image.Height * s;
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = image.Pixels[((y / s) * image.Width + x / s) * 3 + c];
        return new RgbImage(w, h, px);
    }

    private static byte[] EnlargeMask(BinaryMask m, int s)
    {
        int w = m.Width * s, h = m.Height * s;
        var px = new byte[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) px[y * w + x] = m[x / s, y / s] ? (byte)255 : (byte)0;
        return px;
    }

    /// <summary>The 1-pixel boundary of a mask (inside pixels with an outside 4-neighbour).</summary>
    private static byte[] Outline(byte[] mask, int w, int h)
    {
        var o = new byte[mask.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (mask[i] == 0) continue;
                bool edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 || mask[i - 1] == 0 || mask[i + 1] == 0 || mask[i - w] == 0 || mask[i + w] == 0;
                o[i] = edge ? (byte)255 : (byte)0;
            }
        return o;
    }

    private static void Blit(byte[] canvas, int canvasWidth, RgbImage image, int left, int top)
    {
        for (int y = 0; y < image.Height; y++)
            Buffer.BlockCopy(image.Pixels, y * image.Width * 3, canvas, ((top + y) * canvasWidth + left) * 3, image.Width * 3);
    }
}
