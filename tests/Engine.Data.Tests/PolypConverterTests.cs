using Engine.Data.Converters;
using Xunit;

namespace Engine.Data.Tests;

public class PolypConverterTests
{
    static ConversionResult Run(string name, string src, string outDir, string? split = null, long seed = 42, TextConversionLog? log = null) =>
        DatasetConverters.Get(name).Convert(new ConversionOptions
        {
            SourceDir = src, OutputDir = outDir, Seed = seed, Split = split is null ? null : SplitSpec.Parse(split), MaxDegreeOfParallelism = 2,
        }, log ?? new TextConversionLog(TextWriter.Null));

    static void KvasirSource(string src, int n)
    {
        for (int i = 0; i < n; i++) RawImages.WritePair(i, Path.Combine(src, "images", $"cju{i:D3}x.jpg"), Path.Combine(src, "masks", $"cju{i:D3}x.jpg"));
        File.WriteAllText(Path.Combine(src, "kavsir_bboxes.json"), "{}");
    }

    [Fact]
    public void KvasirSeg_JpegMasks_CountsSplitsAlignmentIdempotence()
    {
        using var t = new TempDir();
        string src = t.Sub("Kvasir-SEG"), root = t.Sub("out");
        KvasirSource(src, 10);
        // JPEG masks really are noisy: values other than 0/255 exist before conversion.
        var (_, _, raw) = ImageFiles.LoadGray(Path.Combine(src, "masks", "cju000x.jpg"));
        Assert.Contains(raw, v => v is > 0 and < 255);
        var result = Run("kvasir-seg", t.Path, root);   // finds the Kvasir-SEG/ top folder
        Assert.Equal(new Dictionary<string, int> { ["train"] = 8, ["val"] = 1, ["test"] = 1 }, result.RecordsPerSplit);
        Assert.Empty(result.Skipped);
        Assert.True(File.Exists(Path.Combine(root, "images", "cju000x.jpg")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(src, "images", "cju000x.jpg")), File.ReadAllBytes(Path.Combine(root, "images", "cju000x.jpg")));
        Assert.True(File.Exists(DatasetLayout.TemplatesPath(root)));
        ConverterChecks.ValidatesAndAligns(root);
        var rec = AnnotationFile.Read(DatasetLayout.AnnotationPath(root, "train"))[0];
        Assert.Equal("polyp", rec.ClassName);
        Assert.Equal("polyp", rec.Prompts["p1"][0]);
        Assert.Matches("^one (small|medium) (pink|red) round polyp, located in .+ of the image$", rec.Prompts["p6"][0]);
        ConverterChecks.IsIdempotent(() => Run("kvasir-seg", t.Path, root), root);
    }

    [Fact]
    public void Splits_AreSeededAndDeterministic()
    {
        using var t = new TempDir();
        KvasirSource(t.Sub("src"), 10);
        Run("kvasir-seg", t.Sub("src"), t.Sub("a"), seed: 1);
        Run("kvasir-seg", t.Sub("src"), t.Sub("b"), seed: 2);
        Run("kvasir-seg", t.Sub("src"), t.Sub("c"), seed: 1);
        string Test(string root) => string.Join(",", AnnotationFile.Read(DatasetLayout.AnnotationPath(root, "test")).Select(r => r.ImageName));
        Assert.Equal(Test(t.Sub("a")), Test(t.Sub("c")));
        Assert.Equal(File.ReadAllBytes(DatasetLayout.AnnotationPath(t.Sub("a"), "train")), File.ReadAllBytes(DatasetLayout.AnnotationPath(t.Sub("c"), "train")));
        var splitsA = SegmentationDataset.AvailableSplits(t.Sub("a")).SelectMany(s => AnnotationFile.Read(DatasetLayout.AnnotationPath(t.Sub("a"), s))).Select(r => r.ImageName).Order().ToList();
        Assert.Equal(10, splitsA.Distinct().Count());   // every image in exactly one split
        var seeds = Enumerable.Range(3, 6).Select(s => { Run("kvasir-seg", t.Sub("src"), t.Sub("s" + s), seed: s); return Test(t.Sub("s" + s)); });
        Assert.True(seeds.Append(Test(t.Sub("b"))).Distinct().Count() > 1, "different seeds should give different splits");
    }

    [Fact]
    public void UnreadableAndUnpairedFiles_AreSkippedWithAWarningListingThem()
    {
        using var t = new TempDir();
        string src = t.Sub("src");
        KvasirSource(src, 4);
        File.WriteAllText(Path.Combine(src, "images", "broken.jpg"), "not a jpeg");
        File.WriteAllText(Path.Combine(src, "masks", "broken.jpg"), "not a jpeg");
        RawImages.WritePair(9, Path.Combine(src, "images", "lonely.jpg"), t.Sub("elsewhere", "lonely.jpg"));
        var sw = new StringWriter();
        var result = Run("kvasir-seg", src, t.Sub("out"), split: "0.5,0.25,0.25", log: new TextConversionLog(TextWriter.Null, sw));
        Assert.Equal(4, result.RecordsPerSplit.Values.Sum());
        Assert.Equal(2, result.Skipped.Count);
        var warning = sw.ToString();
        Assert.Contains("broken.jpg", warning);
        Assert.Contains("lonely.jpg", warning);
        Assert.Contains("no matching mask", warning);
        Assert.Contains("broken.jpg", File.ReadAllText(DatasetLayout.InfoPath(t.Sub("out"))));
    }

    [Fact]
    public void MissingSourceFolder_NamesItAndTheExpectedLayout()
    {
        using var t = new TempDir();
        RawImages.WritePair(0, t.Sub("src", "images", "a.jpg"), t.Sub("x", "a.jpg"));
        var e = Assert.Throws<SourceLayoutException>(() => Run("kvasir-seg", t.Sub("src"), t.Sub("out")));
        Assert.Contains("'masks'", e.Message);
        Assert.Contains("Expected layout", e.Message);
        Assert.Contains("SRC/masks/*.jpg", e.Message);
        var c = Assert.Throws<SourceLayoutException>(() => Run("cvc-clinicdb", t.Sub("src"), t.Sub("out2")));
        Assert.Contains("PNG/Original", c.Message);
        var n = Assert.Throws<SourceLayoutException>(() => Run("pneumothorax", t.Sub("nowhere"), t.Sub("out3")));
        Assert.Contains("does not exist", n.Message);
        Assert.Throws<ArgumentException>(() => DatasetConverters.Get("kvasir"));
    }

    [Theory]
    [InlineData("PNG", ".png")]
    [InlineData("TIF", ".tif")]
    public void CvcClinicDb_PngAndTifVariants(string folder, string ext)
    {
        using var t = new TempDir();
        string src = t.Sub("src");
        for (int i = 1; i <= 10; i++)
            RawImages.WritePair(i, Path.Combine(src, folder, "Original", i + ext), Path.Combine(src, folder, "Ground Truth", i + ext));
        var result = Run("cvc-clinicdb", src, t.Sub("out"));
        Assert.Equal(new Dictionary<string, int> { ["train"] = 8, ["val"] = 1, ["test"] = 1 }, result.RecordsPerSplit);   // 490/61/61 as fractions
        Assert.True(File.Exists(t.Sub("out", "images", "10.png")));   // TIF re-encoded as PNG, PNG copied
        ConverterChecks.ValidatesAndAligns(t.Sub("out"));
        ConverterChecks.IsIdempotent(() => Run("cvc-clinicdb", src, t.Sub("out")), t.Sub("out"));
    }

    [Fact]
    public void CvcClinicDb_DefaultCountsApplyExactlyToThePublishedSize()
    {
        Assert.Equal((490, 61, 61), CvcClinicDbConverter.DefaultSplit.Resolve(612));
        Assert.Equal((800, 100, 100), KvasirSegConverter.DefaultSplit.Resolve(1000));
        Assert.Equal((20, 0, 360), new PolypTestSetConverter.CvcColonDb().DefaultSplit.Resolve(380));
        Assert.Equal((0, 0, 380), SplitSpec.Parse("0,0,1").Resolve(380));
        Assert.Equal((16, 2, 2), SplitSpec.Parse("0.8,0.1,0.1").Resolve(20));
        Assert.Throws<ArgumentException>(() => SplitSpec.Parse("0.5,0.1"));
        Assert.Throws<ArgumentException>(() => SplitSpec.Parse("0.5,0.1,0.1"));
    }

    [Fact]
    public void CvcColonDb_CommonPngLayout_AllTest()
    {
        using var t = new TempDir();
        string src = t.Sub("CVC-ColonDB");
        for (int i = 1; i <= 6; i++) RawImages.WritePair(i, Path.Combine(src, "images", i + ".png"), Path.Combine(src, "masks", i + ".png"));
        var result = Run("cvc-colondb", src, t.Sub("out"), split: "0,0,1");
        Assert.Equal(new Dictionary<string, int> { ["train"] = 0, ["val"] = 0, ["test"] = 6 }, result.RecordsPerSplit);
        ConverterChecks.ValidatesAndAligns(t.Sub("out"));
    }

    [Fact]
    public void CvcColonDb_OriginalTiffRelease()
    {
        using var t = new TempDir();
        string src = t.Sub("src");
        for (int i = 1; i <= 6; i++) RawImages.WritePair(i, Path.Combine(src, i + ".tiff"), Path.Combine(src, "GroundTruth", "p" + i + ".tiff"));
        var result = Run("cvc-colondb", src, t.Sub("out"), split: "2,0,4");
        Assert.Equal(new Dictionary<string, int> { ["train"] = 2, ["val"] = 0, ["test"] = 4 }, result.RecordsPerSplit);
        Assert.Contains("original", result.Layout);
        ConverterChecks.ValidatesAndAligns(t.Sub("out"));
    }

    [Fact]
    public void Etis_OriginalReleaseAndPngLayout()
    {
        using var t = new TempDir();
        string src = t.Sub("src");
        for (int i = 1; i <= 5; i++) RawImages.WritePair(i, Path.Combine(src, "ETIS-LaribPolypDB", i + ".tif"), Path.Combine(src, "GroundTruth", "p" + i + ".tif"));
        var result = Run("etis-laribpolypdb", src, t.Sub("out"));
        Assert.Equal(5, result.RecordsPerSplit["test"]);   // default 10/0/186 as fractions -> all 5 test
        ConverterChecks.ValidatesAndAligns(t.Sub("out"));
        ConverterChecks.IsIdempotent(() => Run("etis-laribpolypdb", src, t.Sub("out")), t.Sub("out"));

        string png = t.Sub("png");
        for (int i = 1; i <= 3; i++) RawImages.WritePair(i, Path.Combine(png, "images", i + ".png"), Path.Combine(png, "masks", i + ".png"));
        Assert.Equal(3, Run("etis-laribpolypdb", png, t.Sub("out2")).RecordsPerSplit.Values.Sum());
    }
}
