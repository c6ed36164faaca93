using Engine.Data.Converters;
using Engine.Data.Metrics;
using Engine.Data.Prompts;
using Engine.Data.Synthetic;
using Xunit;

namespace Engine.Data.Tests;

public class SyntheticAndRegenerateTests
{
    static ConversionResult Synth(string root, int count = 12, long seed = 3) =>
        SyntheticDatasetGenerator.Generate(new SyntheticOptions { OutputDir = root, Count = count, Seed = seed, MaxDegreeOfParallelism = 2 }, NullConversionLog.Instance);

    [Fact]
    public void Synthetic_TwoObjectsPerImage_HaveDifferentPromptsAndMasks()
    {
        using var t = new TempDir();
        var r = Synth(t.Path, count: 20);
        Assert.Equal(40, r.RecordsPerSplit.Values.Sum());
        Assert.Equal(new Dictionary<string, int> { ["train"] = 16, ["val"] = 2, ["test"] = 2 }, r.ImagesPerSplit);
        foreach (var split in DatasetLayout.Splits)
        {
            var ds = SegmentationDataset.Load(t.Path, split, new DatasetLoadOptions { RequiredPromptKeys = ["p6"] });
            foreach (var pair in Enumerable.Range(0, ds.Count).GroupBy(i => ds.Records[i].ImageName))
            {
                var (a, b) = (pair.First(), pair.Last());
                Assert.Equal(2, pair.Count());
                foreach (var k in new[] { 2, 3, 4, 5, 6, 8, 9 }) Assert.NotEqual(ds.Prompt(a, "p" + k), ds.Prompt(b, "p" + k));
                var ma = ds.LoadMask(a); var mb = ds.LoadMask(b);
                Assert.Equal(0.0, SegmentationMetrics.Dice(ma, mb));
                Assert.False(ma.IsEmpty);
                var brightness = new[] { ds.Prompt(a, "p3"), ds.Prompt(b, "p3") }.Select(p => p.Split(' ')[0]).Order().ToList();
                Assert.Equal(["bright", "dark"], brightness);
                Assert.Matches("^one (small|medium) (bright|dark) (round|oval|irregular) blob, located in .+ of the image$", ds.Prompt(a, "p6"));
            }
        }
    }

    [Fact]
    public void Synthetic_IsDeterministicBySeed_AndIdempotent()
    {
        using var t = new TempDir();
        Synth(t.Sub("a"));
        Synth(t.Sub("b"));
        Synth(t.Sub("c"), seed: 4);
        var a = FolderSnapshot.Take(t.Sub("a"));
        var b = FolderSnapshot.Take(t.Sub("b"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (k, v) in a) Assert.True(v.AsSpan().SequenceEqual(b[k]), k);
        Assert.False(a["images/synth_00000.png"].AsSpan().SequenceEqual(File.ReadAllBytes(t.Sub("c", "images", "synth_00000.png"))));
        ConverterChecks.IsIdempotent(() => Synth(t.Sub("a")), t.Sub("a"));
    }

    [Fact]
    public void Synthetic_AllShapesBrightnessesAndSizesOccur()
    {
        using var t = new TempDir();
        Synth(t.Path, count: 30);
        var prompts = DatasetLayout.Splits.SelectMany(s => AnnotationFile.Read(DatasetLayout.AnnotationPath(t.Path, s))).Select(r => r.Prompts["p4"][0]).ToList();
        foreach (var word in new[] { "round", "oval", "irregular", "bright", "dark", "small", "medium" })
            Assert.Contains(prompts, p => p.Contains(word));
    }

    [Fact]
    public void RegeneratePrompts_RestoresThemAndHonoursEditedTemplates()
    {
        using var t = new TempDir();
        Synth(t.Path, count: 6);
        var path = DatasetLayout.AnnotationPath(t.Path, "train");
        var original = File.ReadAllBytes(path);
        var stripped = AnnotationFile.Read(path).Select(r => r with { Prompts = new Dictionary<string, IReadOnlyList<string>>() });
        AnnotationFile.Write(path, stripped);
        PromptRegenerator.Regenerate(t.Path, null, NullConversionLog.Instance, 2);
        Assert.Equal(original, File.ReadAllBytes(path));

        var edited = PromptTemplates.LoadDefault().RawJson.Replace("\"p1\": \"{class}\"", "\"p1\": \"a {class} here\"");
        File.WriteAllText(t.Sub("mine.json"), edited);
        PromptRegenerator.Regenerate(t.Path, t.Sub("mine.json"), NullConversionLog.Instance, 2);
        Assert.Equal("a blob here", AnnotationFile.Read(path)[0].Prompts["p1"][0]);
        Assert.Equal(edited, File.ReadAllText(DatasetLayout.TemplatesPath(t.Path)));
    }
}
