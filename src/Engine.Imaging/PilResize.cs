namespace Engine.Imaging;

/// <summary>
/// Image resizing that reproduces Pillow's <c>Image.resize</c> on 8-bit images byte for byte, which is what the
/// Hugging Face image processors and torchvision (on PIL images) run.
/// </summary>
/// <remarks>
/// Pillow's algorithm (libImaging/Resample.c), re-implemented from its description:
/// <list type="bullet">
/// <item>Separable convolution, horizontal pass first, then vertical; the intermediate image is 8-bit (rounded
/// and clipped), so the pass order matters.</item>
/// <item>For output index i the source centre is c = (i + 0.5)·s with s = in/out. When downscaling the filter is
/// stretched by s ("support = filter support × max(s, 1)"), i.e. it antialiases. Taps cover source pixels
/// [⌊c − support + 0.5⌋, ⌊c + support + 0.5⌋) clipped to the image; tap j gets w = f((j − c + 0.5)/max(s,1)), and
/// the weights are divided by their sum.</item>
/// <item>Weights become fixed point with 22 fractional bits (rounded half away from zero); each output is
/// (2^21 + Σ pixel·weight) &gt;&gt; 22 clipped to 0..255.</item>
/// <item>Filters: bilinear = triangle (support 1), bicubic = Keys cubic with a = −0.5 (support 2), Lanczos-3,
/// box (support 0.5), Hamming (support 1). Nearest is a separate affine path: source index ⌊(i + 0.5)·s⌋ where
/// the position is accumulated by repeated addition, as Pillow does.</item>
/// </list>
/// </remarks>
public static class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes an RGB image to <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static RgbImage Resize(RgbImage image, int width, int height, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(image);
        var pixels = Resize(image.Pixels, image.Width, image.Height, 3, width, height, filter);
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Resizes interleaved 8-bit pixels with <paramref name="channels"/> channels (1 for gray/masks).</summary>
    public static byte[] Resize(byte[] pixels, int width, int height, int channels, int newWidth, int newHeight, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width <= 0 || height <= 0 || newWidth <= 0 || newHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(newWidth), $"Cannot resize {width}x{height} to {newWidth}x{newHeight}.");
        if (pixels.Length != width * height * channels)
            throw new ArgumentException($"Expected {width * height * channels} bytes for {width}x{height}x{channels}, got {pixels.Length}.");
        if (filter == ResampleFilter.Nearest) return ResizeNearest(pixels, width, height, channels, newWidth, newHeight);
        if (width == newWidth && height == newHeight) return (byte[])pixels.Clone();

        var (support, kernel) = Kernel(filter);
        var (kVert, boundsVert, kSizeVert) = Coefficients(height, newHeight, support, kernel);
        var (kHoriz, boundsHoriz, kSizeHoriz) = Coefficients(width, newWidth, support, kernel);
        bool needHorizontal = newWidth != width, needVertical = newHeight != height;

        byte[] current = pixels;
        int curHeight = height, rowOffset = 0;
        if (needHorizontal)
        {
            // Only the rows the vertical pass will read are resampled horizontally.
            int firstRow = boundsVert[0];
            int lastRow = boundsVert[(newHeight - 1) * 2] + boundsVert[(newHeight - 1) * 2 + 1];
            if (!needVertical) { firstRow = 0; lastRow = height; }
            current = Horizontal(pixels, width, channels, firstRow, lastRow, newWidth, kHoriz, boundsHoriz, kSizeHoriz);
            curHeight = lastRow - firstRow;
            rowOffset = firstRow;
            width = newWidth;
        }
        if (needVertical)
            current = Vertical(current, width, curHeight, channels, rowOffset, newHeight, kVert, boundsVert, kSizeVert);
        return current;
    }

    private static (double Support, Func<double, double> Kernel) Kernel(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Bilinear => (1.0, Triangle),
        ResampleFilter.Bicubic => (2.0, CubicHalf),
        ResampleFilter.Lanczos => (3.0, Lanczos3),
        ResampleFilter.Box => (0.5, x => x > -0.5 && x <= 0.5 ? 1.0 : 0.0),
        ResampleFilter.Hamming => (1.0, Hamming),
        _ => throw new ArgumentOutOfRangeException(nameof(filter), $"Unknown resample filter {filter}."),
    };

    private static double Triangle(double x)
    {
        if (x < 0) x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static double CubicHalf(double x)
    {
        const double a = -0.5;
        if (x < 0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    private static double Lanczos3(double x) => x >= -3.0 && x < 3.0 ? Sinc(x) * Sinc(x / 3.0) : 0.0;

    private static double Hamming(double x)
    {
        if (x < 0) x = -x;
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        // Pillow writes these two constants as float literals; the widening matters for bit-exact weights.
        return Math.Sin(x) / x * ((double)0.54f + (double)0.46f * Math.Cos(x));
    }

    /// <summary>Fixed-point weights [outSize × kSize] and bounds [outSize × (first, count)].</summary>
    private static (int[] Weights, int[] Bounds, int KSize) Coefficients(int inSize, int outSize, double filterSupport,
        Func<double, double> kernel)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = filterSupport * filterScale;
        int kSize = (int)Math.Ceiling(support) * 2 + 1;
        var weights = new int[outSize * kSize];
        var bounds = new int[outSize * 2];
        var k = new double[kSize];
        double inverse = 1.0 / filterScale;
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++)
            {
                double w = kernel((x + xmin - center + 0.5) * inverse);
                k[x] = w;
                sum += w;
            }
            for (int x = 0; x < kSize; x++)
            {
                double w = x < xmax ? (sum != 0.0 ? k[x] / sum : k[x]) : 0.0;
                weights[xx * kSize + x] = w < 0
                    ? (int)(-0.5 + w * (1 << PrecisionBits))
                    : (int)(0.5 + w * (1 << PrecisionBits));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return (weights, bounds, kSize);
    }

    private static byte Clip8(int value)
    {
        int v = value >> PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }

    private static byte[] Horizontal(byte[] src, int width, int channels, int firstRow, int lastRow, int newWidth,
        int[] weights, int[] bounds, int kSize)
    {
        int rows = lastRow - firstRow;
        var dst = new byte[rows * newWidth * channels];
        Parallel.For(0, rows, r =>
        {
            int srcRow = (firstRow + r) * width * channels, dstRow = r * newWidth * channels;
            Span<int> acc = stackalloc int[channels];
            for (int xx = 0; xx < newWidth; xx++)
            {
                int xmin = bounds[xx * 2], count = bounds[xx * 2 + 1], kBase = xx * kSize;
                acc.Fill(1 << (PrecisionBits - 1));
                for (int x = 0; x < count; x++)
                {
                    int w = weights[kBase + x], p = srcRow + (xmin + x) * channels;
                    for (int c = 0; c < channels; c++) acc[c] += src[p + c] * w;
                }
                for (int c = 0; c < channels; c++) dst[dstRow + xx * channels + c] = Clip8(acc[c]);
            }
        });
        return dst;
    }

    private static byte[] Vertical(byte[] src, int width, int height, int channels, int rowOffset, int newHeight,
        int[] weights, int[] bounds, int kSize)
    {
        var dst = new byte[newHeight * width * channels];
        int stride = width * channels;
        Parallel.For(0, newHeight, yy =>
        {
            int ymin = bounds[yy * 2] - rowOffset, count = bounds[yy * 2 + 1], kBase = yy * kSize;
            if (ymin < 0 || ymin + count > height) throw new InvalidOperationException("Resize row window out of range.");
            for (int i = 0; i < stride; i++)
            {
                int acc = 1 << (PrecisionBits - 1);
                for (int y = 0; y < count; y++) acc += src[(ymin + y) * stride + i] * weights[kBase + y];
                dst[yy * stride + i] = Clip8(acc);
            }
        });
        return dst;
    }

    /// <summary>Pillow's NEAREST: source index ⌊(i + 0.5)·s⌋ with the position accumulated by repeated addition.</summary>
    private static byte[] ResizeNearest(byte[] src, int width, int height, int channels, int newWidth, int newHeight)
    {
        var xIndex = NearestIndices(width, newWidth);
        var yIndex = NearestIndices(height, newHeight);
        var dst = new byte[newWidth * newHeight * channels];
        for (int y = 0; y < newHeight; y++)
        {
            int srcRow = yIndex[y] * width;
            for (int x = 0; x < newWidth; x++)
                Buffer.BlockCopy(src, (srcRow + xIndex[x]) * channels, dst, (y * newWidth + x) * channels, channels);
        }
        return dst;
    }

    internal static int[] NearestIndices(int inSize, int outSize)
    {
        double step = (double)inSize / outSize;
        double position = step * 0.5;
        var index = new int[outSize];
        for (int i = 0; i < outSize; i++)
        {
            int v = position < 0.0 ? -1 : (int)position;
            index[i] = Math.Clamp(v, 0, inSize - 1);
            position += step;
        }
        return index;
    }
}
