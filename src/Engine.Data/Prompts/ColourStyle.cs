namespace Engine.Data.Prompts;

/// <summary>How the mean colour inside a mask becomes a word: named colours (endoscopy: "pink", "red", ...) or
/// brightness (greyscale radiology and the synthetic data: "dark", "gray", "bright").</summary>
public enum ColourStyle { Named, Brightness }

/// <summary>Colour buckets. Named: low saturation gives black / dark gray / gray / light gray / white, otherwise the
/// hue picks red / orange / yellow / green / blue / purple / pink, with light desaturated reds as pink and dark
/// oranges as brown. Brightness: luma below 85 dark, up to 170 gray, above bright.</summary>
public static class ColourNames
{
    public static string Name(double r, double g, double b, ColourStyle style) =>
        style == ColourStyle.Brightness ? Brightness(r, g, b) : Named(r, g, b);

    public static string Brightness(double r, double g, double b)
    {
        double luma = 0.299 * r + 0.587 * g + 0.114 * b;
        return luma < 85 ? "dark" : luma <= 170 ? "gray" : "bright";
    }

    public static string Named(double r, double g, double b)
    {
        double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
        double v = max / 255.0, s = max <= 0 ? 0 : (max - min) / max;
        if (s < 0.15 || max - min < 20)
            return v < 0.2 ? "black" : v < 0.45 ? "dark gray" : v < 0.7 ? "gray" : v < 0.88 ? "light gray" : "white";
        double hue;
        if (max == r) hue = 60 * (((g - b) / (max - min) + 6) % 6);
        else if (max == g) hue = 60 * ((b - r) / (max - min) + 2);
        else hue = 60 * ((r - g) / (max - min) + 4);
        if (hue < 15 || hue >= 345) return v > 0.6 && s < 0.55 ? "pink" : "red";
        if (hue < 40) return v < 0.55 ? "brown" : "orange";
        if (hue < 70) return "yellow";
        if (hue < 170) return "green";
        if (hue < 260) return "blue";
        if (hue < 300) return "purple";
        return "pink";
    }
}
