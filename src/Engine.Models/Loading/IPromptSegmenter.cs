namespace Engine.Models.Loading;

/// <summary>
/// A loaded text-prompted segmentation model, as the pipeline sees it (CLIPSeg, BiomedCLIPSeg, CRIS all implement it):
/// preprocessed images in, one logit map per (image, prompt) out. Implementations must be safe for concurrent calls.
/// </summary>
public interface IPromptSegmenter : IDisposable
{
    /// <summary>How images must be prepared before <see cref="PredictLogits"/>.</summary>
    ImagePreprocessingSpec Preprocessing { get; }

    /// <summary>Probability threshold the family was tuned for (CLIPSeg 0.5, CRIS 0.35).</summary>
    float DefaultThreshold { get; }

    /// <summary>pixelValues [N, C, H, W] (already preprocessed) and P prompts -> logits [N, P, h, w] (pre-sigmoid, at the
    /// model's output resolution; the caller resamples to the original image size). Runs without recording gradients.</summary>
    Tensor PredictLogits(Tensor pixelValues, IReadOnlyList<string> prompts);
}

public enum ResizeMode
{
    /// <summary>Resize straight to Width x Height (ViTImageProcessor, CLIPSeg).</summary>
    Stretch,
    /// <summary>Resize the shortest side to Width then centre-crop Width x Height (CLIPImageProcessor, open_clip).</summary>
    ShortestSideThenCenterCrop,
}

/// <summary>Image preparation: resize, scale by <see cref="RescaleFactor"/>, normalise per channel.</summary>
public sealed record ImagePreprocessingSpec
{
    public int Width { get; init; } = 352;
    public int Height { get; init; } = 352;
    /// <summary>Target of the shortest side for <see cref="ResizeMode.ShortestSideThenCenterCrop"/> (Width x Height is then the crop).</summary>
    public int ShortestEdge { get; init; }
    public ResizeMode Resize { get; init; } = ResizeMode.Stretch;
    /// <summary>PIL resample code (2 = bilinear, 3 = bicubic).</summary>
    public int Resample { get; init; } = 2;
    public bool DoResize { get; init; } = true;
    public bool DoRescale { get; init; } = true;
    public float RescaleFactor { get; init; } = 1f / 255f;
    public bool DoNormalize { get; init; } = true;
    public float[] Mean { get; init; } = { 0.485f, 0.456f, 0.406f };
    public float[] Std { get; init; } = { 0.229f, 0.224f, 0.225f };

    /// <summary>Reads preprocessor_config.json (ViTImageProcessor / CLIPImageProcessor fields); missing fields keep <paramref name="defaults"/>.</summary>
    public static ImagePreprocessingSpec FromPreprocessorConfig(string path, ImagePreprocessingSpec defaults)
    {
        if (!File.Exists(path)) return defaults;
        var j = JsonConfig.Parse(path);
        var spec = defaults with
        {
            DoResize = j.Bool("do_resize", defaults.DoResize),
            DoRescale = j.Bool("do_rescale", defaults.DoRescale),
            RescaleFactor = j.Float("rescale_factor", defaults.RescaleFactor),
            DoNormalize = j.Bool("do_normalize", defaults.DoNormalize),
            Mean = j.FloatArray("image_mean", defaults.Mean),
            Std = j.FloatArray("image_std", defaults.Std),
            Resample = j.Int("resample", defaults.Resample),
        };
        // "size" is {"height", "width"} (ViT), {"shortest_edge"} (CLIP) or a bare int (old processors).
        if (j.Raw["size"] is System.Text.Json.Nodes.JsonObject)
        {
            var s = j.Sub("size");
            if (s.Has("shortest_edge"))
            {
                int e = s.Int("shortest_edge", defaults.Width);
                int cw = e, ch = e;
                if (j.Raw["crop_size"] is System.Text.Json.Nodes.JsonObject) { var c = j.Sub("crop_size"); cw = c.Int("width", e); ch = c.Int("height", e); }
                else if (j.Has("crop_size")) cw = ch = j.Int("crop_size", e);
                spec = spec with { Resize = ResizeMode.ShortestSideThenCenterCrop, ShortestEdge = e, Width = cw, Height = ch };
            }
            else spec = spec with { Height = s.Int("height", defaults.Height), Width = s.Int("width", defaults.Width) };
        }
        else if (j.Has("size")) { int n = j.Int("size", defaults.Width); spec = spec with { Width = n, Height = n }; }
        if (spec.Mean.Length != 3 || spec.Std.Length != 3)
            throw new InvalidDataException($"{path}: image_mean and image_std must have 3 values.");
        if (spec.Width <= 0 || spec.Height <= 0) throw new InvalidDataException($"{path}: the image size must be positive.");
        return spec;
    }
}
