using Engine.Imaging;

namespace Engine.Training.Data;

/// <summary>
/// The one place where dataset images become model inputs, for training and for evaluation alike, on top of
/// Engine.Imaging's Pillow-exact preprocessing: the model folder's <see cref="ImagePreprocessingSpec"/> becomes a
/// <see cref="PreprocessorConfig"/> with a squash resize to the model's input size (the study's training resize, which
/// keeps every pixel of the mask; a centre crop would cut objects off and break the mapping back to the original
/// resolution).
/// </summary>
public static class InputPreparation
{
    /// <summary>The squash-resize form of a model's preprocessing: resize straight to the model's input size (a centre
    /// crop's size, or the shortest edge as a square, for processors that crop), filter, rescale and normalisation kept.</summary>
    public static PreprocessorConfig SquashConfig(PreprocessorConfig model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Mean.Length != 3 || model.Std.Length != 3) throw new ArgumentException("Preprocessing needs 3 mean and 3 std values.");
        int w, h;
        if (model.DoCenterCrop) (w, h) = (model.CropWidth, model.CropHeight);
        else if (model.Width is int mw && model.Height is int mh) (w, h) = (mw, mh);
        else if (model.ShortestEdge is int s) (w, h) = (s, s);
        else throw new ArgumentException("The model's preprocessing has no input size (size or crop_size); training needs a fixed input size.");
        if (w <= 0 || h <= 0) throw new ArgumentException($"The model's input size {w}x{h} is not positive.");
        return model with { DoResize = true, Width = w, Height = h, ShortestEdge = null, DoCenterCrop = false };
    }

    /// <summary>The geometric step only: the image squash-resized to the model's input size (8-bit, Pillow-exact).</summary>
    public static RgbImage ResizeImage(RgbImage image, PreprocessorConfig config) => ImagePreprocessor.ResizeAndCrop(image, config);

    /// <summary>A binary mask resized with nearest neighbour (PIL NEAREST) to <paramref name="width"/> x <paramref name="height"/>; bytes 0/1.</summary>
    public static byte[] ResizeMask(Engine.Data.BinaryMask mask, int width, int height)
    {
        var bytes = new byte[mask.Data.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = mask.Data[i] ? (byte)1 : (byte)0;
        if (mask.Width == width && mask.Height == height) return bytes;
        return MapResize.Nearest(bytes, mask.Width, mask.Height, width, height, halfPixel: true);
    }

    /// <summary>Rescale + normalise an image already at the model's size into planar float32 [3, H, W].</summary>
    public static float[] Normalize(RgbImage resized, PreprocessorConfig config) => ImagePreprocessor.Normalize(resized, config);
}
