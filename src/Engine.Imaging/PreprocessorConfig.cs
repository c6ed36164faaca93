using System.Text.Json;

namespace Engine.Imaging;

/// <summary>How an image becomes a model input: resize, optional center crop, rescale and normalise.</summary>
public sealed record PreprocessorConfig
{
    /// <summary>ImageNet mean, used by CIDAS/clipseg (ViTImageProcessor).</summary>
    public static readonly float[] ImageNetMean = { 0.485f, 0.456f, 0.406f };
    /// <summary>ImageNet std, used by CIDAS/clipseg.</summary>
    public static readonly float[] ImageNetStd = { 0.229f, 0.224f, 0.225f };
    /// <summary>OpenAI CLIP mean (BiomedCLIP, CRIS).</summary>
    public static readonly float[] OpenAiClipMean = { 0.48145466f, 0.4578275f, 0.40821073f };
    /// <summary>OpenAI CLIP std (BiomedCLIP, CRIS).</summary>
    public static readonly float[] OpenAiClipStd = { 0.26862954f, 0.26130258f, 0.27577711f };

    public bool DoResize { get; init; } = true;

    /// <summary>Exact output width when resizing to a fixed size (null with <see cref="ShortestEdge"/>).</summary>
    public int? Width { get; init; }

    /// <summary>Exact output height when resizing to a fixed size.</summary>
    public int? Height { get; init; }

    /// <summary>Resize so the shorter side becomes this (longer = ⌊ShortestEdge·long/short⌋), keeping aspect.</summary>
    public int? ShortestEdge { get; init; }

    public ResampleFilter Resample { get; init; } = ResampleFilter.Bilinear;

    /// <summary>
    /// CRIS's letterbox instead of a plain resize: fit inside Width×Height keeping the aspect ratio, centred, border
    /// filled with <see cref="LetterboxBorder"/> (see <see cref="Letterbox"/>).
    /// </summary>
    public bool Letterbox { get; init; }

    /// <summary>Border colour of the letterbox (CRIS: the CLIP mean colour).</summary>
    public RgbColor LetterboxBorder { get; init; } = Engine.Imaging.Letterbox.ClipMeanBorder;

    public bool DoCenterCrop { get; init; }
    public int CropWidth { get; init; }
    public int CropHeight { get; init; }

    /// <summary>How the crop offset is rounded: transformers floors (d/2), torchvision rounds half to even.</summary>
    public CropRounding CropRounding { get; init; } = CropRounding.Floor;

    public bool DoRescale { get; init; } = true;
    public double RescaleFactor { get; init; } = 1.0 / 255.0;

    /// <summary>
    /// transformers rescales in float64 then casts (x·(1/255)); torchvision's ToTensor divides in float32 (x/255).
    /// They differ in the last bit only; this picks which one to reproduce.
    /// </summary>
    public bool RescaleByDivision { get; init; }

    public bool DoNormalize { get; init; } = true;
    public float[] Mean { get; init; } = ImageNetMean;
    public float[] Std { get; init; } = ImageNetStd;

    /// <summary>CIDAS/clipseg-rd64-refined: 352×352 bilinear, /255, ImageNet mean/std.</summary>
    public static PreprocessorConfig ClipSeg(int size = 352) => new() { Width = size, Height = size, Resample = ResampleFilter.Bilinear };

    /// <summary>
    /// open_clip's eval transform (BiomedCLIP): shortest side → <paramref name="size"/> (bicubic), torchvision
    /// CenterCrop, ToTensor, Normalize with the OpenAI CLIP constants unless given.
    /// </summary>
    public static PreprocessorConfig OpenClip(int size = 224, float[]? mean = null, float[]? std = null) => new()
    {
        ShortestEdge = size,
        Resample = ResampleFilter.Bicubic,
        DoCenterCrop = true,
        CropWidth = size,
        CropHeight = size,
        CropRounding = CropRounding.HalfToEven,
        RescaleByDivision = true,
        Mean = mean ?? OpenAiClipMean,
        Std = std ?? OpenAiClipStd,
    };

    /// <summary>
    /// CRIS (RefDataset.convert): letterbox to size×size (bicubic, CLIP-mean border), x/255 in float32, OpenAI CLIP
    /// mean/std.
    /// </summary>
    public static PreprocessorConfig Cris(int size = 416) => new()
    {
        Width = size,
        Height = size,
        Letterbox = true,
        Resample = ResampleFilter.Bicubic,
        RescaleByDivision = true,
        Mean = OpenAiClipMean,
        Std = OpenAiClipStd,
    };

    /// <summary>Training-time squash resize to a fixed size (bilinear, aspect not kept).</summary>
    public static PreprocessorConfig Squash(int width, int height, float[] mean, float[] std) =>
        new() { Width = width, Height = height, Resample = ResampleFilter.Bilinear, Mean = mean, Std = std };

    /// <summary>The output size for an input of <paramref name="width"/>×<paramref name="height"/>.</summary>
    public (int Width, int Height) OutputSize(int width, int height)
    {
        var (w, h) = ResizedSize(width, height);
        return DoCenterCrop ? (CropWidth, CropHeight) : (w, h);
    }

    /// <summary>The size after the resize step (before cropping).</summary>
    public (int Width, int Height) ResizedSize(int width, int height)
    {
        if (!DoResize) return (width, height);
        if (ShortestEdge is int s)
        {
            if (width <= height) return (s, (int)((long)s * height / width));
            return ((int)((long)s * width / height), s);
        }
        if (Width is int w && Height is int h) return (w, h);
        throw new InvalidOperationException("PreprocessorConfig: resizing needs Width and Height, or ShortestEdge.");
    }

    /// <summary>
    /// Reads a Hugging Face preprocessor_config.json (do_resize, size, resample, do_center_crop, crop_size,
    /// do_rescale, rescale_factor, do_normalize, image_mean, image_std). An integer "size" means a square for
    /// ViTImageProcessor (CLIPSeg) and the shortest edge for CLIPImageProcessor, as in transformers.
    /// </summary>
    public static PreprocessorConfig FromHuggingFaceJson(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Preprocessor config not found: '{path}'.", path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"'{path}' is not a JSON object.");
            string type = r.TryGetProperty("image_processor_type", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()! : r.TryGetProperty("feature_extractor_type", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "";
            bool intSizeIsShortestEdge = type.StartsWith("CLIP", StringComparison.Ordinal) && !type.StartsWith("CLIPSeg", StringComparison.Ordinal);
            var config = new PreprocessorConfig
            {
                DoResize = Bool(r, "do_resize", path) ?? true,
                Resample = r.TryGetProperty("resample", out var rs) ? ParseResample(rs, path) : ResampleFilter.Bilinear,
                DoCenterCrop = Bool(r, "do_center_crop", path) ?? false,
                DoRescale = Bool(r, "do_rescale", path) ?? true,
                RescaleFactor = r.TryGetProperty("rescale_factor", out var rf) ? Number(rf, "rescale_factor", path) : 1.0 / 255.0,
                DoNormalize = Bool(r, "do_normalize", path) ?? true,
                Mean = r.TryGetProperty("image_mean", out var m) ? Triple(m, "image_mean", path) : ImageNetMean,
                Std = r.TryGetProperty("image_std", out var s) ? Triple(s, "image_std", path) : ImageNetStd,
            };
            if (r.TryGetProperty("size", out var size))
            {
                if (size.ValueKind == JsonValueKind.Number)
                {
                    int v = PositiveInt(size, "size", path);
                    config = intSizeIsShortestEdge ? config with { ShortestEdge = v } : config with { Width = v, Height = v };
                }
                else if (size.ValueKind == JsonValueKind.Object)
                {
                    if (size.TryGetProperty("shortest_edge", out var se)) config = config with { ShortestEdge = PositiveInt(se, "size.shortest_edge", path) };
                    else if (size.TryGetProperty("height", out var h) && size.TryGetProperty("width", out var w))
                        config = config with { Width = PositiveInt(w, "size.width", path), Height = PositiveInt(h, "size.height", path) };
                    else throw new InvalidDataException($"'{path}': \"size\" needs shortest_edge or height+width.");
                }
                else throw new InvalidDataException($"'{path}': \"size\" must be a number or an object.");
            }
            else if (config.DoResize) config = config with { Width = 224, Height = 224 };
            if (config.DoCenterCrop)
            {
                if (!r.TryGetProperty("crop_size", out var crop)) throw new InvalidDataException($"'{path}': do_center_crop needs crop_size.");
                if (crop.ValueKind == JsonValueKind.Number)
                {
                    int c = PositiveInt(crop, "crop_size", path);
                    config = config with { CropWidth = c, CropHeight = c };
                }
                else if (crop.ValueKind == JsonValueKind.Object && crop.TryGetProperty("height", out var ch) && crop.TryGetProperty("width", out var cw))
                    config = config with { CropWidth = PositiveInt(cw, "crop_size.width", path), CropHeight = PositiveInt(ch, "crop_size.height", path) };
                else throw new InvalidDataException($"'{path}': \"crop_size\" must be a number or {{height, width}}.");
            }
            return config;
        }
    }

    /// <summary>
    /// Reads an open_clip_config.json ({"model_cfg": {"vision_cfg": {"image_size"}}, "preprocess_cfg": {mean, std,
    /// interpolation, resize_mode}}) into the open_clip eval transform.
    /// </summary>
    public static PreprocessorConfig FromOpenClipJson(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"open_clip config not found: '{path}'.", path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            var r = doc.RootElement;
            int size = 224;
            if (r.TryGetProperty("model_cfg", out var mc) && mc.TryGetProperty("vision_cfg", out var vc) && vc.TryGetProperty("image_size", out var isz))
            {
                size = isz.ValueKind == JsonValueKind.Array ? PositiveInt(isz[0], "image_size", path) : PositiveInt(isz, "image_size", path);
            }
            float[]? mean = null, std = null;
            var config = OpenClip(size);
            if (r.TryGetProperty("preprocess_cfg", out var pc))
            {
                if (pc.TryGetProperty("mean", out var m)) mean = Triple(m, "preprocess_cfg.mean", path);
                if (pc.TryGetProperty("std", out var s)) std = Triple(s, "preprocess_cfg.std", path);
                config = OpenClip(size, mean, std);
                if (pc.TryGetProperty("interpolation", out var ip) && ip.ValueKind == JsonValueKind.String)
                {
                    config = config with
                    {
                        Resample = ip.GetString() switch
                        {
                            "bicubic" => ResampleFilter.Bicubic,
                            "bilinear" => ResampleFilter.Bilinear,
                            "nearest" => ResampleFilter.Nearest,
                            var other => throw new InvalidDataException($"'{path}': unsupported interpolation \"{other}\"."),
                        },
                    };
                }
                if (pc.TryGetProperty("resize_mode", out var rm) && rm.ValueKind == JsonValueKind.String && rm.GetString() == "squash")
                    config = config with { ShortestEdge = null, Width = size, Height = size, DoCenterCrop = false };
                else if (pc.TryGetProperty("resize_mode", out rm) && rm.ValueKind == JsonValueKind.String && rm.GetString() != "shortest")
                    throw new InvalidDataException($"'{path}': unsupported resize_mode \"{rm.GetString()}\".");
            }
            return config;
        }
    }

    /// <summary>
    /// The preprocessing of a model folder: preprocessor_config.json, else open_clip_config.json, else
    /// <paramref name="fallback"/> (an error when that is null).
    /// </summary>
    public static PreprocessorConfig FromFolder(string folder, PreprocessorConfig? fallback = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Model folder not found: '{folder}'.");
        string hf = Path.Combine(folder, "preprocessor_config.json"), oc = Path.Combine(folder, "open_clip_config.json");
        if (File.Exists(hf)) return FromHuggingFaceJson(hf);
        if (File.Exists(oc)) return FromOpenClipJson(oc);
        return fallback ?? throw new FileNotFoundException($"No preprocessor_config.json or open_clip_config.json in '{folder}'.");
    }

    private static bool? Bool(JsonElement r, string name, string path)
    {
        if (!r.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean()
            : throw new InvalidDataException($"'{path}': \"{name}\" must be true or false.");
    }

    private static double Number(JsonElement v, string name, string path) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new InvalidDataException($"'{path}': \"{name}\" must be a number.");

    private static int PositiveInt(JsonElement v, string name, string path) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i > 0
            ? i
            : throw new InvalidDataException($"'{path}': \"{name}\" must be a positive integer.");

    private static float[] Triple(JsonElement v, string name, string path)
    {
        if (v.ValueKind == JsonValueKind.Number) { float x = (float)v.GetDouble(); return new[] { x, x, x }; }
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 3 || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
            throw new InvalidDataException($"'{path}': \"{name}\" must be a list of 3 numbers.");
        return v.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
    }

    private static ResampleFilter ParseResample(JsonElement v, string path)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int code) && code is >= 0 and <= 5) return (ResampleFilter)code;
        throw new InvalidDataException($"'{path}': \"resample\" must be a PIL filter number 0..5.");
    }
}
