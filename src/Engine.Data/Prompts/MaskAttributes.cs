using Engine.Imaging;
namespace Engine.Data.Prompts;

/// <summary>The words a prompt is built from, computed from a mask and its image:
/// <list type="bullet">
/// <item>size per component from its coverage of the image: &gt; 0.30 large, &gt; 0.08 medium, &lt; 0.001 tiny, else small;</item>
/// <item>number: the count of components (8-connected) in words; specks (under 2% of the largest component and under
/// 0.1% of the image, e.g. JPEG noise) are not counted;</item>
/// <item>location per component: the cell of a 3x3 grid holding its centroid (top left ... center ... bottom right);</item>
/// <item>shape per component: "round" / "oval" when the outline is regular (circularity at least 0.7 of that of the
/// ellipse with the same axis ratio), round when the second-moment axis ratio is at most 1.35; else "irregular";</item>
/// <item>colour: the mean image colour inside the whole mask, bucketed by <see cref="ColourNames"/>.</item>
/// </list>
/// With several components the distinct words are listed largest component first ("small and medium").</summary>
public sealed record MaskAttributes(
    int Count,
    IReadOnlyList<MaskComponent> Components,
    string Number,
    string Size,
    string Shape,
    string Location,
    string Colour)
{
    public const double LargeCoverage = 0.30, MediumCoverage = 0.08, TinyCoverage = 0.001;
    public const double RoundAxisRatio = 1.35, RegularOutline = 0.70;
    public const double SpeckFractionOfLargest = 0.02;

    static readonly string[][] Grid =
    [
        ["top left", "top center", "top right"],
        ["center left", "center", "center right"],
        ["bottom left", "bottom center", "bottom right"],
    ];

    static readonly string[] NumberWords =
        ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"];

    public bool IsEmpty => Count == 0;

    public static MaskAttributes Compute(RgbImage image, BinaryMask mask, ColourStyle colourStyle)
    {
        if (image.Width != mask.Width || image.Height != mask.Height)
            throw new ArgumentException($"image is {image.Width}x{image.Height} but mask is {mask.Width}x{mask.Height}");
        double imageArea = (double)mask.Width * mask.Height;
        var all = ConnectedComponents.Find(mask);
        var comps = all.Where((c, i) => i == 0 || c.Area >= SpeckFractionOfLargest * all[0].Area || c.Area / imageArea >= TinyCoverage).ToList();
        return new MaskAttributes(
            comps.Count,
            comps,
            NumberWord(comps.Count),
            JoinDistinct(comps.Select(c => SizeWord(c.Area / imageArea))),
            JoinDistinct(comps.Select(ShapeWord)),
            JoinDistinct(comps.Select(c => LocationWord(c, mask.Width, mask.Height))),
            comps.Count == 0 ? "" : ColourWord(image, mask, colourStyle));
    }

    public static string NumberWord(int n) => n >= 0 && n < NumberWords.Length ? NumberWords[n] : n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string SizeWord(double coverage) =>
        coverage > LargeCoverage ? "large" : coverage > MediumCoverage ? "medium" : coverage < TinyCoverage ? "tiny" : "small";

    public static string LocationWord(MaskComponent c, int width, int height)
    {
        int col = Math.Clamp((int)Math.Floor(3 * (c.CentroidX + 0.5) / width), 0, 2);
        int row = Math.Clamp((int)Math.Floor(3 * (c.CentroidY + 0.5) / height), 0, 2);
        return Grid[row][col];
    }

    public static string ShapeWord(MaskComponent c)
    {
        double ratio = c.AxisRatio;
        if (double.IsInfinity(ratio)) return "irregular";
        double regularity = c.Circularity / EllipseCircularity(ratio);
        if (regularity < RegularOutline) return "irregular";
        return ratio <= RoundAxisRatio ? "round" : "oval";
    }

    /// <summary>Circularity of an ellipse with axis ratio q (Ramanujan's perimeter approximation).</summary>
    public static double EllipseCircularity(double q)
    {
        double a = q, b = 1;
        double p = Math.PI * (3 * (a + b) - Math.Sqrt((3 * a + b) * (a + 3 * b)));
        return 4 * Math.PI * (Math.PI * a * b) / (p * p);
    }

    static string ColourWord(RgbImage image, BinaryMask mask, ColourStyle style)
    {
        double r = 0, g = 0, b = 0; long n = 0;
        for (int i = 0; i < mask.Data.Length; i++)
        {
            if (!mask.Data[i]) continue;
            r += image.Pixels[3 * i]; g += image.Pixels[3 * i + 1]; b += image.Pixels[3 * i + 2]; n++;
        }
        return ColourNames.Name(r / n, g / n, b / n, style);
    }

    /// <summary>"a", "a and b", "a, b and c" over the distinct words in first-seen order.</summary>
    public static string JoinDistinct(IEnumerable<string> words)
    {
        var d = words.Distinct().ToList();
        return d.Count switch
        {
            0 => "",
            1 => d[0],
            _ => string.Join(", ", d.Take(d.Count - 1)) + " and " + d[^1],
        };
    }
}
