namespace Engine.Imaging;

/// <summary>
/// CRIS's letterbox: the image is scaled to fit a <c>TargetWidth×TargetHeight</c> canvas keeping its aspect
/// ratio, centred, and the border filled with a constant colour (CRIS uses the CLIP mean colour). Source pixel
/// coordinates map to target ones by t = s·Scale + Offset (pixel centres at integers, as cv2.warpAffine).
/// </summary>
public sealed record LetterboxTransform(int SourceWidth, int SourceHeight, int TargetWidth, int TargetHeight)
{
    public double Scale => Math.Min((double)TargetHeight / SourceHeight, (double)TargetWidth / SourceWidth);
    public double OffsetX => (TargetWidth - SourceWidth * Scale) / 2.0;
    public double OffsetY => (TargetHeight - SourceHeight * Scale) / 2.0;
}

/// <summary>
/// Letterbox warps with bicubic interpolation (Keys a = −0.75 as OpenCV's INTER_CUBIC, no antialiasing) and a
/// constant border, in floating point.
/// </summary>
/// <remarks>
/// OpenCV quantises sample positions to 1/32 pixel and the weights to 15-bit fixed point; this implementation
/// does neither, so results can differ from cv2.warpAffine by about one grey level. For a square image already at
/// the target size the warp is the identity, exactly as in CRIS.
/// </remarks>
public static class Letterbox
{
    /// <summary>The CLIP mean colour, rounded to bytes as cv2 does with CRIS's borderValue (mean·255).</summary>
    public static readonly RgbColor ClipMeanBorder = new(123, 117, 104);

    /// <summary>Letterboxes an RGB image into <paramref name="targetWidth"/>×<paramref name="targetHeight"/>.</summary>
    public static RgbImage Apply(RgbImage image, int targetWidth, int targetHeight, RgbColor border, out LetterboxTransform transform)
    {
        ArgumentNullException.ThrowIfNull(image);
        transform = new LetterboxTransform(image.Width, image.Height, targetWidth, targetHeight);
        var t = transform;
        var output = new byte[targetWidth * targetHeight * 3];
        var planes = image.ToPlanarFloat();
        int n = image.Width * image.Height;
        float[] borders = { border.R, border.G, border.B };
        for (int c = 0; c < 3; c++)
        {
            var plane = new float[n];
            Array.Copy(planes, c * n, plane, 0, n);
            var warped = WarpCubic(plane, image.Width, image.Height, targetWidth, targetHeight,
                1.0 / t.Scale, -t.OffsetX / t.Scale, -t.OffsetY / t.Scale, borders[c]);
            for (int i = 0; i < warped.Length; i++) output[3 * i + c] = (byte)Math.Clamp(MathF.Round(warped[i]), 0f, 255f);
        }
        return new RgbImage(targetWidth, targetHeight, output);
    }

    /// <summary>
    /// Maps a float map defined on the letterboxed canvas (e.g. CRIS's probabilities at input size) back to the
    /// source image size, bicubic, with <paramref name="border"/> outside the canvas.
    /// </summary>
    public static float[] Invert(float[] map, LetterboxTransform transform, float border = 0f)
    {
        ArgumentNullException.ThrowIfNull(map);
        var t = transform;
        if (map.Length != t.TargetWidth * t.TargetHeight)
            throw new ArgumentException($"Map has {map.Length} values, the letterbox canvas is {t.TargetWidth}x{t.TargetHeight}.");
        return WarpCubic(map, t.TargetWidth, t.TargetHeight, t.SourceWidth, t.SourceHeight, t.Scale, t.OffsetX, t.OffsetY, border);
    }

    /// <summary>out(x, y) = bicubic sample of src at (x·scale + dx, y·scale + dy); taps outside read <paramref name="border"/>.</summary>
    private static float[] WarpCubic(float[] src, int w, int h, int outW, int outH, double scale, double dx, double dy, float border)
    {
        var output = new float[outW * outH];
        Parallel.For(0, outH, y =>
        {
            double sy = y * scale + dy;
            int iy = (int)Math.Floor(sy);
            Span<float> wy = stackalloc float[4];
            Span<float> wx = stackalloc float[4];
            CubicWeights(sy - iy, wy);
            for (int x = 0; x < outW; x++)
            {
                double sx = x * scale + dx;
                int ix = (int)Math.Floor(sx);
                CubicWeights(sx - ix, wx);
                float sum = 0;
                for (int j = 0; j < 4; j++)
                {
                    int yy = iy - 1 + j;
                    float row = 0;
                    for (int i = 0; i < 4; i++)
                    {
                        int xx = ix - 1 + i;
                        float v = xx < 0 || yy < 0 || xx >= w || yy >= h ? border : src[yy * w + xx];
                        row += v * wx[i];
                    }
                    sum += row * wy[j];
                }
                output[y * outW + x] = sum;
            }
        });
        return output;
    }

    private static void CubicWeights(double fraction, Span<float> weights)
    {
        const double a = -0.75;
        double x = fraction;
        weights[0] = (float)(((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a);
        weights[1] = (float)(((a + 2) * x - (a + 3)) * x * x + 1);
        weights[2] = (float)(((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1);
        weights[3] = 1f - weights[0] - weights[1] - weights[2];
    }
}
