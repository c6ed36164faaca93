namespace Engine.Imaging;

/// <summary>
/// Turns decoded images into model input tensors: resize (Pillow-exact), optional center crop, rescale and
/// per-channel normalisation, as planar float32 [3, H, W] or a batch tensor [B, 3, H, W].
/// </summary>
public static class ImagePreprocessor
{
    /// <summary>The geometric part: resize (and crop) as <paramref name="config"/> says.</summary>
    public static RgbImage ResizeAndCrop(RgbImage image, PreprocessorConfig config)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(config);
        var (rw, rh) = config.ResizedSize(image.Width, image.Height);
        if (config.DoResize && config.Letterbox)
            return rw == image.Width && rh == image.Height ? image : Letterbox.Apply(image, rw, rh, config.LetterboxBorder, out _);
        var resized = rw == image.Width && rh == image.Height ? image : PilResize.Resize(image, rw, rh, config.Resample);
        return config.DoCenterCrop ? CenterCrop(resized, config.CropWidth, config.CropHeight, config.CropRounding) : resized;
    }

    /// <summary>
    /// Center crop to <paramref name="width"/>×<paramref name="height"/>; an image smaller than the crop is centered
    /// on a black canvas first.
    /// </summary>
    public static RgbImage CenterCrop(RgbImage image, int width, int height, CropRounding rounding)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Crop size must be positive, got {width}x{height}.");
        if (image.Width < width || image.Height < height)
            image = PadCentered(image, Math.Max(width, image.Width), Math.Max(height, image.Height));
        int left = Offset(image.Width - width, rounding), top = Offset(image.Height - height, rounding);
        return left == 0 && top == 0 && width == image.Width && height == image.Height ? image : image.Crop(left, top, width, height);
    }

    private static int Offset(int excess, CropRounding rounding) =>
        rounding == CropRounding.Floor ? excess / 2 : (int)Math.Round(excess / 2.0, MidpointRounding.ToEven);

    private static RgbImage PadCentered(RgbImage image, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        int left = (width - image.Width + 1) / 2, top = (height - image.Height + 1) / 2;
        for (int y = 0; y < image.Height; y++)
            Buffer.BlockCopy(image.Pixels, y * image.Width * 3, pixels, ((top + y) * width + left) * 3, image.Width * 3);
        return new RgbImage(width, height, pixels);
    }

    /// <summary>
    /// Rescales and normalises an image that already has the model's size into planar float32 [3, H, W]:
    /// x' = (x·factor − mean[c]) / std[c], computed in float32 like transformers/torchvision.
    /// </summary>
    public static float[] Normalize(RgbImage image, PreprocessorConfig config)
    {
        int n = image.Width * image.Height;
        var output = new float[3 * n];
        // Per-byte lookup tables: every 8-bit value maps to one float per channel.
        var table = new float[3, 256];
        for (int c = 0; c < 3; c++)
        {
            float mean = config.Mean[c], std = config.Std[c];
            for (int v = 0; v < 256; v++)
            {
                float x = !config.DoRescale ? v
                    : config.RescaleByDivision ? v / (float)(1.0 / config.RescaleFactor)
                    : (float)(v * config.RescaleFactor);
                table[c, v] = config.DoNormalize ? (x - mean) / std : x;
            }
        }
        var pixels = image.Pixels;
        for (int i = 0; i < n; i++)
        {
            output[i] = table[0, pixels[3 * i]];
            output[n + i] = table[1, pixels[3 * i + 1]];
            output[2 * n + i] = table[2, pixels[3 * i + 2]];
        }
        return output;
    }

    /// <summary>Full preprocessing of one image to planar float32 [3, H, W].</summary>
    public static float[] Preprocess(RgbImage image, PreprocessorConfig config, out int width, out int height)
    {
        var ready = ResizeAndCrop(image, config);
        width = ready.Width;
        height = ready.Height;
        return Normalize(ready, config);
    }

    /// <summary>
    /// Preprocesses a batch into an Engine tensor [B, 3, H, W] float32. Every image must come out at the same size
    /// (always true when resizing to a fixed size or cropping).
    /// </summary>
    public static Tensor ToTensor(IReadOnlyList<RgbImage> images, PreprocessorConfig config)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("No images to preprocess.", nameof(images));
        var planes = new float[images.Count][];
        int w0 = 0, h0 = 0;
        Parallel.For(0, images.Count, b => planes[b] = Preprocess(images[b], config, out _, out _));
        (w0, h0) = config.OutputSize(images[0].Width, images[0].Height);
        int per = 3 * w0 * h0;
        for (int b = 0; b < images.Count; b++)
        {
            if (planes[b].Length != per)
            {
                var (wb, hb) = config.OutputSize(images[b].Width, images[b].Height);
                throw new ArgumentException(
                    $"Image {b} preprocesses to {wb}x{hb} but image 0 to {w0}x{h0}; a batch needs one size (resize to a fixed size or crop).");
            }
        }
        var data = new float[images.Count * per];
        for (int b = 0; b < images.Count; b++) Array.Copy(planes[b], 0, data, b * per, per);
        return Tensor.FromArray(data, images.Count, 3, h0, w0);
    }

    /// <summary>Preprocesses one image into an Engine tensor [1, 3, H, W].</summary>
    public static Tensor ToTensor(RgbImage image, PreprocessorConfig config) => ToTensor(new[] { image }, config);
}
