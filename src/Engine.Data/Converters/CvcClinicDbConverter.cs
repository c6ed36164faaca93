namespace Engine.Data.Converters;

/// <summary>CVC-ClinicDB (Kaggle release): PNG/Original + PNG/Ground Truth, or TIF/Original + TIF/Ground Truth
/// (names 1..612), or Original + Ground Truth at the top. The PNG variant is used when both exist. Split 490/61/61.</summary>
public sealed class CvcClinicDbConverter : IDatasetConverter
{
    public string Name => "cvc-clinicdb";
    public string Title => "CVC-ClinicDB (Kaggle release)";
    public string DefaultSplitDescription => "490/61/61 (fractions 0.8/0.1/0.1 if the image count differs)";
    public static readonly SplitSpec DefaultSplit = SplitSpec.Counts(490, 61, 61);

    public string ExpectedLayout =>
        "  SRC/PNG/Original/{1..612}.png + SRC/PNG/Ground Truth/{1..612}.png\n" +
        "  or SRC/TIF/Original/{1..612}.tif + SRC/TIF/Ground Truth/{1..612}.tif\n" +
        "  or SRC/Original/*.tif + SRC/Ground Truth/*.tif (original release)";

    static readonly (string Folder, string Layout, string[] Ext)[] Variants =
    [
        ("PNG", "PNG/Original + PNG/Ground Truth", [".png"]),
        ("TIF", "TIF/Original + TIF/Ground Truth", [".tif", ".tiff"]),
        ("", "Original + Ground Truth", [".tif", ".tiff", ".png", ".bmp"]),
    ];

    public ConversionResult Convert(ConversionOptions options, IConversionLog log)
    {
        var src = SourceRoots.Locate(options.SourceDir, Name, ExpectedLayout, ["PNG/Original", "TIF/Original", "Original"], "CVC-ClinicDB", "cvc-clinicdb");
        var variant = Variants.FirstOrDefault(v => Directory.Exists(Path.Combine(src, v.Folder, "Original")));
        if (variant.Layout is null)
            throw new SourceLayoutException($"{Name}: none of 'PNG/Original', 'TIF/Original' or 'Original' exists in '{src}'. Expected layout:\n{ExpectedLayout}");
        var images = SourceFiles.List(Path.Combine(src, variant.Folder, "Original"), variant.Ext);
        var masks = SourceFiles.List(SourceFiles.RequireDir(src, Path.Combine(variant.Folder, "Ground Truth"), Name, ExpectedLayout), variant.Ext);
        if (images.Count == 0) throw new SourceLayoutException($"{Name}: no {string.Join("/", variant.Ext)} images in '{Path.Combine(src, variant.Folder, "Original")}'. Expected layout:\n{ExpectedLayout}");
        var skipped = new List<SkippedItem>();
        var pairs = PairedImageConversion.PairByName(images, masks, id => id, skipped);
        var split = options.Split ?? DefaultSplit;
        log.Info($"{Name}: {pairs.Count} image/mask pairs ({variant.Layout}) in '{src}'");
        return PairedImageConversion.Run(Name, variant.Layout, pairs, split.Assign(pairs.Select(p => p.Id), options.Seed),
            "polyp", options, log, skipped, PairedImageConversion.BaseSettings(options, split));
    }
}
