namespace Engine.Models.BiomedClip;

/// <summary>Tensor-level image normalisation for BiomedCLIP (OpenAI CLIP mean/std).</summary>
public static class BiomedClipPreprocess
{
    /// <summary>
    /// RGB uint8 images [B, S, S, 3] already at the model size -> pixel_values [B, 3, S, S] = (x/255 - mean)/std, which
    /// is exactly open_clip's eval transform at native size (resize and crop are identities).
    /// </summary>
    public static Tensor NormalizeNativeUint8(Tensor images, BiomedClipConfig cfg)
    {
        int s = cfg.Vision.ImageSize;
        if (images.DType != DType.U8 || images.Rank != 4 || images.Shape[3] != 3)
            throw new ArgumentException($"images_uint8_nhwc must be uint8 [batch, H, W, 3], got {images.DType} {Shape.Format(images.Shape)}.");
        if (images.Shape[1] != s || images.Shape[2] != s)
            throw new ArgumentException($"images_uint8_nhwc are {images.Shape[1]}x{images.Shape[2]}; only images already at the model size {s}x{s} are normalised here (resize and crop them first).");
        var v = images.ToInt64Array();
        int b = images.Shape[0], hw = s * s;
        var o = new float[b * 3 * hw];
        for (int n = 0; n < b; n++)
            for (int p = 0; p < hw; p++)
                for (int c = 0; c < 3; c++)
                    o[(n * 3 + c) * hw + p] = (v[(n * hw + p) * 3 + c] / 255f - cfg.Mean[c]) / cfg.Std[c];
        return Tensor.FromArray(o, b, 3, s, s);
    }
}
