using Engine.Imaging;

namespace Engine.Pipelines;

/// <summary>
/// Brings a logit map from model-input geometry back to the original image: undo the centre crop (when the
/// preprocessing crops, the area outside the crop gets probability 0) and resize bilinearly (PyTorch semantics) to the
/// original size, then sigmoid.
/// </summary>
internal static class OutputMapping
{
    /// <summary>Logit used for pixels the model never saw (outside a centre crop): sigmoid gives 0.</summary>
    private const float Outside = -1e4f;

    public static float[] ToProbabilities(float[] logits, int logitW, int logitH, int width, int height, PreprocessorConfig config)
    {
        if (config.Letterbox && config.DoResize && config.Width is int lw && config.Height is int lh)
            return FromLetterbox(logits, logitW, logitH, width, height, lw, lh);
        float[] full;
        if (config.DoCenterCrop && config.DoResize)
        {
            var (rw, rh) = config.ResizedSize(width, height);
            int cw = config.CropWidth, ch = config.CropHeight;
            int left = Offset(rw - cw, config.CropRounding), top = Offset(rh - ch, config.CropRounding);
            if (left >= 0 && top >= 0)
            {
                var crop = logitW == cw && logitH == ch ? logits : MapResize.Bilinear(logits, logitW, logitH, cw, ch);
                var canvas = new float[rw * rh];
                Array.Fill(canvas, Outside);
                for (int y = 0; y < ch; y++) Array.Copy(crop, y * cw, canvas, (top + y) * rw + left, cw);
                full = rw == width && rh == height ? canvas : MapResize.Bilinear(canvas, rw, rh, width, height);
                return MaskMaps.Sigmoid(full);
            }
        }
        full = logitW == width && logitH == height ? logits : MapResize.Bilinear(logits, logitW, logitH, width, height);
        return MaskMaps.Sigmoid(full);
    }

    /// <summary>
    /// CRIS (test.py): sigmoid, bicubic (align_corners=True) to the letterbox canvas, then the inverse of the letterbox
    /// warp back to the image (bicubic, 0 outside the canvas), so the map lines up with the original pixels.
    /// </summary>
    private static float[] FromLetterbox(float[] logits, int logitW, int logitH, int width, int height, int canvasW, int canvasH)
    {
        var probs = MaskMaps.Sigmoid(logits);
        float[] canvas = probs;
        if (logitW != canvasW || logitH != canvasH)
            using (Tensor.NoGrad())
                canvas = Ops.Interpolate(Tensor.FromArray(probs, 1, 1, logitH, logitW), canvasH, canvasW, InterpolationMode.Bicubic, alignCorners: true).ToArray();
        return width == canvasW && height == canvasH ? canvas : Letterbox.Invert(canvas, new LetterboxTransform(width, height, canvasW, canvasH), 0f);
    }

    private static int Offset(int excess, CropRounding rounding) =>
        rounding == CropRounding.Floor ? excess / 2 : (int)Math.Round(excess / 2.0, MidpointRounding.ToEven);
}
