using Engine.Imaging;
using Engine.Data;

namespace Engine.Training.Data;

/// <summary>
/// Applies <see cref="AugmentationOptions"/> to one (image, mask) pair at the model's input size. Every random draw
/// comes from a stream seeded by (seed, epoch, record), so a sample is augmented identically whether the run was
/// interrupted or not, and whatever thread prepares it. The same five values are always drawn, in the same order.
/// </summary>
public static class Augmenter
{
    /// <summary>The random stream of one record in one epoch.</summary>
    public static SplitMix StreamFor(int seed, int epoch, int recordIndex)
        => new((long)SplitMix.Mix(SplitMix.Mix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ 0xA5A5_0001UL) ^ ((ulong)(uint)epoch << 32 | (uint)recordIndex)));

    /// <param name="mask">0/1 bytes, same size as the image.</param>
    public static (RgbImage Image, byte[] Mask) Apply(RgbImage image, byte[] mask, AugmentationOptions o, SplitMix rng)
    {
        int w = image.Width, h = image.Height;
        if (mask.Length != w * h) throw new ArgumentException($"Mask has {mask.Length} pixels, the image {w}x{h}.");
        bool hflip = rng.NextDouble() < 0.5, vflip = rng.NextDouble() < 0.5;
        double angle = (rng.NextDouble() * 2 - 1) * o.RotationDegrees * Math.PI / 180;
        double scale = 1 + (rng.NextDouble() * 2 - 1) * o.Scale;
        double brightness = (rng.NextDouble() * 2 - 1) * o.Brightness * 255;
        double contrast = 1 + (rng.NextDouble() * 2 - 1) * o.Contrast;
        hflip &= o.HorizontalFlip; vflip &= o.VerticalFlip;

        var pixels = image.Pixels;
        var outMask = mask;
        if (hflip || vflip || o.RotationDegrees > 0 || o.Scale > 0)
            (pixels, outMask) = Warp(pixels, mask, w, h, hflip, vflip, angle, scale);
        if (o.Brightness > 0 || o.Contrast > 0)
            pixels = Intensity(pixels, brightness, contrast);
        return (new RgbImage(w, h, pixels), outMask);
    }

    /// <summary>Inverse mapping about the image centre: output (x, y) samples the source at
    /// centre + R(-angle)·(p - centre)/scale, after the flips; outside the image is 0 (black, background).</summary>
    private static (byte[] Pixels, byte[] Mask) Warp(byte[] src, byte[] mask, int w, int h, bool hflip, bool vflip, double angle, double scale)
    {
        var dst = new byte[src.Length];
        var dstMask = new byte[mask.Length];
        double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
        double cos = Math.Cos(angle) / scale, sin = Math.Sin(angle) / scale;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double dx = (hflip ? w - 1 - x : x) - cx, dy = (vflip ? h - 1 - y : y) - cy;
                double sx = cx + cos * dx + sin * dy, sy = cy - sin * dx + cos * dy;
                int o = y * w + x;
                int nx = (int)Math.Round(sx), ny = (int)Math.Round(sy);
                if (nx >= 0 && ny >= 0 && nx < w && ny < h) dstMask[o] = mask[ny * w + nx];
                int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                double fx = sx - x0, fy = sy - y0;
                for (int c = 0; c < 3; c++)
                {
                    double v = Sample(src, w, h, x0, y0, c) * (1 - fx) * (1 - fy) + Sample(src, w, h, x0 + 1, y0, c) * fx * (1 - fy)
                             + Sample(src, w, h, x0, y0 + 1, c) * (1 - fx) * fy + Sample(src, w, h, x0 + 1, y0 + 1, c) * fx * fy;
                    dst[3 * o + c] = (byte)Math.Clamp(Math.Round(v), 0, 255);
                }
            }
        }
        return (dst, dstMask);
    }

    private static double Sample(byte[] src, int w, int h, int x, int y, int c)
        => x < 0 || y < 0 || x >= w || y >= h ? 0 : src[(y * w + x) * 3 + c];

    /// <summary>v' = (v - mean)·contrast + mean + brightness, clamped to 0..255 (mean over all pixels and channels).</summary>
    private static byte[] Intensity(byte[] src, double brightness, double contrast)
    {
        double sum = 0;
        foreach (var b in src) sum += b;
        double mean = src.Length == 0 ? 0 : sum / src.Length;
        var lut = new byte[256];
        for (int v = 0; v < 256; v++) lut[v] = (byte)Math.Clamp(Math.Round((v - mean) * contrast + mean + brightness), 0, 255);
        var dst = new byte[src.Length];
        for (int i = 0; i < src.Length; i++) dst[i] = lut[src[i]];
        return dst;
    }
}
