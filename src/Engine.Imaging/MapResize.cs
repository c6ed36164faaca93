namespace Engine.Imaging;

/// <summary>
/// Resizing of single-channel float maps (logits, probabilities) and byte masks, with PyTorch
/// <c>F.interpolate</c> semantics — what the model code uses to bring low-resolution outputs back to an
/// image's original size.
/// </summary>
public static class MapResize
{
    /// <summary>
    /// Bilinear resize with align_corners=False and no antialiasing (torch's "bilinear"): output pixel i samples
    /// source position (i + 0.5)·in/out − 0.5, clamped at 0, between its two neighbours.
    /// </summary>
    public static float[] Bilinear(float[] map, int width, int height, int newWidth, int newHeight)
    {
        Check(map.Length, width, height, newWidth, newHeight);
        var (x0, x1, fx) = Taps(width, newWidth);
        var (y0, y1, fy) = Taps(height, newHeight);
        var output = new float[newWidth * newHeight];
        Parallel.For(0, newHeight, y =>
        {
            int r0 = y0[y] * width, r1 = y1[y] * width;
            float wy = fy[y];
            for (int x = 0; x < newWidth; x++)
            {
                float wx = fx[x];
                float top = map[r0 + x0[x]] * (1 - wx) + map[r0 + x1[x]] * wx;
                float bottom = map[r1 + x0[x]] * (1 - wx) + map[r1 + x1[x]] * wx;
                output[y * newWidth + x] = top * (1 - wy) + bottom * wy;
            }
        });
        return output;
    }

    private static (int[] Lo, int[] Hi, float[] Frac) Taps(int inSize, int outSize)
    {
        var lo = new int[outSize];
        var hi = new int[outSize];
        var frac = new float[outSize];
        float scale = (float)inSize / outSize;
        for (int i = 0; i < outSize; i++)
        {
            float src = Math.Max((i + 0.5f) * scale - 0.5f, 0f);
            int l = Math.Min((int)src, inSize - 1);
            lo[i] = l;
            hi[i] = Math.Min(l + 1, inSize - 1);
            frac[i] = src - l;
        }
        return (lo, hi, frac);
    }

    /// <summary>
    /// Nearest resize of a byte mask. <paramref name="halfPixel"/> = true samples ⌊(i + 0.5)·in/out⌋ (PIL NEAREST,
    /// torch "nearest-exact"); false samples ⌊i·in/out⌋ (torch "nearest", what CRIS uses for its targets).
    /// </summary>
    public static byte[] Nearest(byte[] mask, int width, int height, int newWidth, int newHeight, bool halfPixel = true)
    {
        Check(mask.Length, width, height, newWidth, newHeight);
        var xs = halfPixel ? PilResize.NearestIndices(width, newWidth) : FloorIndices(width, newWidth);
        var ys = halfPixel ? PilResize.NearestIndices(height, newHeight) : FloorIndices(height, newHeight);
        var output = new byte[newWidth * newHeight];
        for (int y = 0; y < newHeight; y++)
            for (int x = 0; x < newWidth; x++)
                output[y * newWidth + x] = mask[ys[y] * width + xs[x]];
        return output;
    }

    private static int[] FloorIndices(int inSize, int outSize)
    {
        float scale = (float)inSize / outSize;
        var index = new int[outSize];
        for (int i = 0; i < outSize; i++) index[i] = Math.Min((int)Math.Floor(i * scale), inSize - 1);
        return index;
    }

    private static void Check(int length, int width, int height, int newWidth, int newHeight)
    {
        if (width <= 0 || height <= 0 || newWidth <= 0 || newHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(newWidth), $"Cannot resize {width}x{height} to {newWidth}x{newHeight}.");
        if (length != width * height) throw new ArgumentException($"Map has {length} values, expected {width}x{height} = {width * height}.");
    }
}
