using System.Globalization;

namespace Engine.Training.Data;

/// <summary>
/// Seeded training augmentation, off by default (<c>--augment</c>). Geometric changes apply to image and mask alike
/// (image bilinear, mask nearest); intensity changes to the image only. Flips mirror the anatomy's left/right and
/// top/bottom, so they contradict prompts that name a location ("in top left of the image").
/// </summary>
public sealed record AugmentationOptions
{
    public bool HorizontalFlip { get; init; }
    public bool VerticalFlip { get; init; }
    /// <summary>Maximum rotation in degrees (uniform in ±value); 0 = off.</summary>
    public double RotationDegrees { get; init; }
    /// <summary>Maximum relative zoom (scale uniform in [1 - value, 1 + value]); 0 = off.</summary>
    public double Scale { get; init; }
    /// <summary>Maximum brightness shift as a fraction of the 0..255 range; 0 = off.</summary>
    public double Brightness { get; init; }
    /// <summary>Maximum relative contrast change around the image mean; 0 = off.</summary>
    public double Contrast { get; init; }

    public static AugmentationOptions None { get; } = new();

    public bool Enabled => HorizontalFlip || VerticalFlip || RotationDegrees > 0 || Scale > 0 || Brightness > 0 || Contrast > 0;

    public bool Geometric => HorizontalFlip || VerticalFlip || RotationDegrees > 0 || Scale > 0;

    /// <summary>Parses <c>--augment</c>: "none", "all" (flips, rotate=10, scale=0.1, brightness=0.1, contrast=0.1), or a
    /// comma list of hflip, vflip, flip, rotate[=DEG], scale[=F], brightness[=F], contrast[=F], intensity (both).</summary>
    public static AugmentationOptions Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return None;
        var o = new AugmentationOptions();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split('=', 2, StringSplitOptions.TrimEntries);
            string name = parts[0].ToLowerInvariant();
            double Value(double fallback, double max)
            {
                if (parts.Length == 1) return fallback;
                if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0 || v > max)
                    throw new ArgumentException($"--augment {item}: the value must be a number between 0 and {max.ToString(CultureInfo.InvariantCulture)}.");
                return v;
            }
            o = name switch
            {
                "all" => o with { HorizontalFlip = true, VerticalFlip = true, RotationDegrees = 10, Scale = 0.1, Brightness = 0.1, Contrast = 0.1 },
                "hflip" => o with { HorizontalFlip = true },
                "vflip" => o with { VerticalFlip = true },
                "flip" => o with { HorizontalFlip = true, VerticalFlip = true },
                "rotate" => o with { RotationDegrees = Value(10, 180) },
                "scale" => o with { Scale = Value(0.1, 0.9) },
                "brightness" => o with { Brightness = Value(0.1, 1) },
                "contrast" => o with { Contrast = Value(0.1, 0.9) },
                "intensity" => o with { Brightness = Value(0.1, 1), Contrast = Value(0.1, 0.9) },
                _ => throw new ArgumentException($"--augment: unknown augmentation '{parts[0]}'; use none, all, or a list of hflip, vflip, flip, rotate[=DEG], scale[=F], brightness[=F], contrast[=F], intensity."),
            };
        }
        return o;
    }

    public override string ToString()
    {
        if (!Enabled) return "none";
        var p = new List<string>();
        if (HorizontalFlip) p.Add("hflip");
        if (VerticalFlip) p.Add("vflip");
        if (RotationDegrees > 0) p.Add(string.Create(CultureInfo.InvariantCulture, $"rotate={RotationDegrees}"));
        if (Scale > 0) p.Add(string.Create(CultureInfo.InvariantCulture, $"scale={Scale}"));
        if (Brightness > 0) p.Add(string.Create(CultureInfo.InvariantCulture, $"brightness={Brightness}"));
        if (Contrast > 0) p.Add(string.Create(CultureInfo.InvariantCulture, $"contrast={Contrast}"));
        return string.Join(",", p);
    }
}
