using System.Text.RegularExpressions;

namespace Engine.Data.Converters;

/// <summary>The out-of-distribution polyp test sets (CVC-ColonDB, ETIS-LaribPolypDB), read from either the common
/// images/ + masks/ layout or the original release: numbered images (1.tif, ...) with masks named p1.tif, ... in
/// GroundTruth/ (or beside the images). Most of each set is test data by default.</summary>
public abstract partial class PolypTestSetConverter : IDatasetConverter
{
    static readonly string[] OriginalExtensions = [".tif", ".tiff", ".bmp", ".png"];

    public abstract string Name { get; }
    public abstract string Title { get; }
    protected abstract string TopFolder { get; }
    protected abstract int ExpectedCount { get; }
    public abstract SplitSpec DefaultSplit { get; }

    public string DefaultSplitDescription =>
        $"{DefaultSplit.Train}/{DefaultSplit.Val}/{DefaultSplit.Test} of the {ExpectedCount} images (use --split 0,0,1 for all test)";

    public string ExpectedLayout =>
        $"  SRC/images/*.png + SRC/masks/*.png (same names; the common {TopFolder} layout)\n" +
        $"  or the original release: SRC/{{1..{ExpectedCount}}}.tif (or SRC/{TopFolder}/ or SRC/Original/) with masks SRC/GroundTruth/p{{1..{ExpectedCount}}}.tif (or p*.tif beside the images)";

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex Numbered();

    [GeneratedRegex(@"^p(\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex MaskNumbered();

    public ConversionResult Convert(ConversionOptions options, IConversionLog log)
    {
        var src = SourceRoots.Locate(options.SourceDir, Name, ExpectedLayout, ["images", "GroundTruth", "Ground Truth"], TopFolder);
        var skipped = new List<SkippedItem>();
        List<SourcePair> pairs;
        string layout;
        if (Directory.Exists(Path.Combine(src, "images")))
        {
            layout = "images/ + masks/";
            var images = SourceFiles.List(Path.Combine(src, "images"), SourceFiles.RasterExtensions);
            var masks = SourceFiles.List(SourceFiles.RequireDir(src, "masks", Name, ExpectedLayout), SourceFiles.RasterExtensions);
            pairs = PairedImageConversion.PairByName(images, masks, id => id, skipped);
        }
        else
        {
            layout = "original release (numbered images + GroundTruth/p*.tif)";
            var imageDir = new[] { src, Path.Combine(src, TopFolder), Path.Combine(src, "Original") }
                .FirstOrDefault(d => Directory.Exists(d) && NumberedImages(d).Count > 0)
                ?? throw new SourceLayoutException($"{Name}: found neither an 'images' folder nor numbered images (1.tif, 2.tif, ...) in '{src}'. Expected layout:\n{ExpectedLayout}");
            var gtDir = new[] { Path.Combine(src, "GroundTruth"), Path.Combine(src, "Ground Truth"), imageDir }
                .First(Directory.Exists);
            var masks = SourceFiles.List(gtDir, OriginalExtensions)
                .Where(m => MaskNumbered().IsMatch(SourceFiles.Stem(m)) || (gtDir != imageDir && Numbered().IsMatch(SourceFiles.Stem(m)))).ToList();
            if (masks.Count == 0)
                throw new SourceLayoutException($"{Name}: no masks (p1.tif, ...) in '{gtDir}'. Expected layout:\n{ExpectedLayout}");
            pairs = PairedImageConversion.PairByName(NumberedImages(imageDir), masks, stem => stem.TrimStart('p', 'P'), skipped);
        }
        if (pairs.Count == 0) throw new SourceLayoutException($"{Name}: no image/mask pairs found in '{src}'. Expected layout:\n{ExpectedLayout}");
        var split = options.Split ?? DefaultSplit;
        log.Info($"{Name}: {pairs.Count} image/mask pairs ({layout}) in '{src}'");
        return PairedImageConversion.Run(Name, layout, pairs, split.Assign(pairs.Select(p => p.Id), options.Seed),
            "polyp", options, log, skipped, PairedImageConversion.BaseSettings(options, split));
    }

    static List<string> NumberedImages(string dir) =>
        SourceFiles.List(dir, OriginalExtensions).Where(f => Numbered().IsMatch(SourceFiles.Stem(f))).ToList();

    /// <summary>CVC-ColonDB: 380 images; 20 train / 360 test by default.</summary>
    public sealed class CvcColonDb : PolypTestSetConverter
    {
        public override string Name => "cvc-colondb";
        public override string Title => "CVC-ColonDB";
        protected override string TopFolder => "CVC-ColonDB";
        protected override int ExpectedCount => 380;
        public override SplitSpec DefaultSplit => SplitSpec.Counts(20, 0, 360);
    }

    /// <summary>ETIS-LaribPolypDB: 196 images; 10 train / 186 test by default (ColonDB's ~5% train share).</summary>
    public sealed class EtisLaribPolypDb : PolypTestSetConverter
    {
        public override string Name => "etis-laribpolypdb";
        public override string Title => "ETIS-LaribPolypDB";
        protected override string TopFolder => "ETIS-LaribPolypDB";
        protected override int ExpectedCount => 196;
        public override SplitSpec DefaultSplit => SplitSpec.Counts(10, 0, 186);
    }
}
