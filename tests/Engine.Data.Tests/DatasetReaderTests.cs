using Engine.Imaging;
using Xunit;

namespace Engine.Data.Tests;

public class DatasetReaderTests
{
    /// <summary>A valid two-record dataset (train split): a.png with masks a_0.png / a_1.png of two classes.</summary>
    static void WriteValid(string root, int maskWidth = 8, byte maskValue = 255)
    {
        Directory.CreateDirectory(DatasetLayout.ImagesDir(root));
        Directory.CreateDirectory(DatasetLayout.MasksDir(root));
        var img = new RgbImage(8, 6, Enumerable.Range(0, 8 * 6 * 3).Select(i => (byte)i).ToArray());
        File.WriteAllBytes(Path.Combine(root, "images", "a.png"), ImageFiles.EncodeRgbPng(img));
        var gray = new byte[maskWidth * 6];
        gray[3] = maskValue;
        File.WriteAllBytes(Path.Combine(root, "masks", "a_0.png"), ImageFiles.EncodeGrayPng(maskWidth, 6, gray));
        File.WriteAllBytes(Path.Combine(root, "masks", "a_1.png"), ImageFiles.EncodeMaskPng(new BinaryMask(8, 6)));
        var prompts0 = new Dictionary<string, IReadOnlyList<string>> { ["p0"] = [""], ["p1"] = ["liver"], ["p7"] = ["v1", "v2", "v3"] };
        var prompts1 = new Dictionary<string, IReadOnlyList<string>> { ["p0"] = [""], ["p1"] = ["kidney"] };
        Directory.CreateDirectory(Path.Combine(root, "anns"));
        AnnotationFile.Write(DatasetLayout.AnnotationPath(root, "train"),
            [new DatasetRecord("a.png", "a_0.png", "liver", prompts0), new DatasetRecord("a.png", "a_1.png", "kidney", prompts1)]);
    }

    [Fact]
    public void ValidDataset_Loads_WithClassesKeysAndSamples()
    {
        using var t = new TempDir();
        WriteValid(t.Path);
        var ds = SegmentationDataset.Load(t.Path, "train");
        Assert.Equal(2, ds.Count);
        Assert.Equal(["kidney", "liver"], ds.Classes);
        Assert.Equal(["p0", "p1"], ds.PromptKeys);
        var s = ds.Get(0, "p1");
        Assert.Equal("liver", s.Prompt);
        Assert.Equal((8, 6), (s.Image.Width, s.Image.Height));
        Assert.Equal(1, s.Mask.ForegroundCount());
        Assert.True(s.Mask[3, 0]);
        Assert.Equal(5, s.Image.Pixels[5]);
        Assert.True(ds.LoadMask(1).IsEmpty);
    }

    [Fact]
    public void AnnotationFile_RoundTrips_StringsAndVariantLists()
    {
        using var t = new TempDir();
        WriteValid(t.Path);
        var path = DatasetLayout.AnnotationPath(t.Path, "train");
        var text = File.ReadAllText(path);
        Assert.Contains("\"img_name\": \"a.png\"", text);
        Assert.Contains("\"p7\": [", text);
        var records = AnnotationFile.Read(path);
        Assert.Equal(["v1", "v2", "v3"], records[0].Prompts["p7"]);
        Assert.Equal(text, AnnotationFile.Serialize(records));
    }

    [Fact]
    public void PromptVariants_SeededChoice_IsReproducibleAndCoversVariants()
    {
        using var t = new TempDir();
        WriteValid(t.Path);
        var ds = SegmentationDataset.Load(t.Path, "train", new DatasetLoadOptions { CheckPixels = false });
        Assert.Equal("v1", ds.Prompt(0, "p7"));
        var a = Enumerable.Range(0, 30).Select(_ => 0).Select((_, i) => ds.Prompt(0, "p7", new Random(i))).ToList();
        var b = Enumerable.Range(0, 30).Select(_ => 0).Select((_, i) => ds.Prompt(0, "p7", new Random(i))).ToList();
        Assert.Equal(a, b);
        Assert.Equal(3, a.Distinct().Count());
        var byEpoch = Enumerable.Range(0, 30).Select(e => ds.Prompt(0, "p7", seed: 7, epoch: e)).ToList();
        Assert.Equal(byEpoch, Enumerable.Range(0, 30).Select(e => ds.Prompt(0, "p7", seed: 7, epoch: e)).ToList());
        Assert.Equal(3, byEpoch.Distinct().Count());
    }

    [Fact]
    public void UnknownPromptKey_NamesTheRecord()
    {
        using var t = new TempDir();
        WriteValid(t.Path);
        var e = Assert.Throws<DatasetValidationException>(() => SegmentationDataset.Load(t.Path, "train", new DatasetLoadOptions { RequiredPromptKeys = ["p7"] }));
        Assert.Contains("record 1 (img 'a.png', mask 'a_1.png', class 'kidney')", e.Message);
        Assert.Contains("\"p7\"", e.Message);
        var ds = SegmentationDataset.Load(t.Path, "train");
        var e2 = Assert.Throws<DatasetValidationException>(() => ds.Prompt(1, "p9"));
        Assert.Contains("record 1", e2.Message);
        Assert.Contains("p9", e2.Message);
    }

    [Fact]
    public void MissingFile_NamesRecordAndPath()
    {
        using var t = new TempDir();
        WriteValid(t.Path);
        File.Delete(Path.Combine(t.Path, "masks", "a_1.png"));
        var e = Assert.Throws<DatasetValidationException>(() => SegmentationDataset.Load(t.Path, "train"));
        Assert.Contains("record 1", e.Message);
        Assert.Contains("mask file missing", e.Message);
        Assert.Contains("a_1.png", e.Message);
    }

    [Fact]
    public void NonBinaryMask_NamesRecordAndValue()
    {
        using var t = new TempDir();
        WriteValid(t.Path, maskValue: 200);
        var e = Assert.Throws<DatasetValidationException>(() => SegmentationDataset.Load(t.Path, "train"));
        Assert.Contains("record 0", e.Message);
        Assert.Contains("not binary", e.Message);
        Assert.Contains("200", e.Message);
    }

    [Fact]
    public void SizeMismatch_NamesRecordAndSizes()
    {
        using var t = new TempDir();
        WriteValid(t.Path, maskWidth: 7);
        var e = Assert.Throws<DatasetValidationException>(() => SegmentationDataset.Load(t.Path, "train"));
        Assert.Contains("record 0", e.Message);
        Assert.Contains("8x6", e.Message);
        Assert.Contains("7x6", e.Message);
    }

    [Fact]
    public void MalformedJsonAndMissingSplit_AreClear()
    {
        using var t = new TempDir();
        WriteValid(t.Path);
        var e = Assert.Throws<DatasetValidationException>(() => SegmentationDataset.Load(t.Path, "val"));
        Assert.Contains("available: train", e.Message);
        File.WriteAllText(DatasetLayout.AnnotationPath(t.Path, "test"), "[{\"img_name\": \"a.png\", \"class\": \"x\"}]");
        var m = Assert.Throws<DatasetValidationException>(() => SegmentationDataset.Load(t.Path, "test"));
        Assert.Contains("record 0", m.Message);
        Assert.Contains("mask_name", m.Message);
    }
}
