namespace Engine.Data.Converters;

/// <summary>Kvasir-SEG (Simula): images/*.jpg and masks/*.jpg with the same names; the JPEG masks are noisy and are
/// binarised at 128. kavsir_bboxes.json is optional and not needed. 1000 images, split 800/100/100.</summary>
public sealed class KvasirSegConverter : IDatasetConverter
{
    public string Name => "kvasir-seg";
    public string Title => "Kvasir-SEG (Simula)";
    public string DefaultSplitDescription => "800/100/100 (fractions 0.8/0.1/0.1 if the image count differs)";
    public static readonly SplitSpec DefaultSplit = SplitSpec.Counts(800, 100, 100);

    public string ExpectedLayout =>
        "  SRC/images/*.jpg          (colonoscopy frames)\n" +
        "  SRC/masks/*.jpg           (same file names; JPEG masks, binarised at 128)\n" +
        "  SRC/kavsir_bboxes.json    (optional, not used)\n" +
        "  (SRC may also be the folder that contains Kvasir-SEG/)";

    public ConversionResult Convert(ConversionOptions options, IConversionLog log)
    {
        var src = SourceRoots.Locate(options.SourceDir, Name, ExpectedLayout, "images", "Kvasir-SEG", "kvasir-seg");
        var images = SourceFiles.List(SourceFiles.RequireDir(src, "images", Name, ExpectedLayout), SourceFiles.RasterExtensions);
        var masks = SourceFiles.List(SourceFiles.RequireDir(src, "masks", Name, ExpectedLayout), SourceFiles.RasterExtensions);
        if (images.Count == 0) throw new SourceLayoutException($"{Name}: no images in '{Path.Combine(src, "images")}'. Expected layout:\n{ExpectedLayout}");
        var skipped = new List<SkippedItem>();
        var pairs = PairedImageConversion.PairByName(images, masks, id => id, skipped);
        var split = options.Split ?? DefaultSplit;
        log.Info($"{Name}: {pairs.Count} image/mask pairs in '{src}'");
        return PairedImageConversion.Run(Name, "images/ + masks/ (JPEG)", pairs, split.Assign(pairs.Select(p => p.Id), options.Seed),
            "polyp", options, log, skipped, PairedImageConversion.BaseSettings(options, split));
    }
}
