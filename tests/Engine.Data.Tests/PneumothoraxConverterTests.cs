using Engine.Data.Converters;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace Engine.Data.Tests;

public class PneumothoraxConverterTests
{
    /// <summary>Kaggle layout: 10 train-file images (every second one positive) and 4 test-file images (2 positive).
    /// X-rays are grey with a dark pneumothorax region; negatives have all-zero masks.</summary>
    static void Source(string src)
    {
        var train = new List<string> { "new_filename,ImageId,has_pneumo" };
        var test = new List<string> { "new_filename,ImageId,has_pneumo" };
        for (int i = 0; i < 14; i++)
        {
            bool isTest = i >= 10, positive = i % 2 == 0;
            var name = isTest ? $"{i - 10}_test_{(positive ? 1 : 0)}_.png" : $"{i}_train_{(positive ? 1 : 0)}_.png";
            using var img = new Image<L8>(32, 32);
            using var mask = new Image<L8>(32, 32);
            for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++)
            {
                bool inside = positive && x >= 3 && x < 12 && y >= 4 + i % 3 && y < 20;
                img[x, y] = new L8(inside ? (byte)20 : (byte)(150 + (x * y + i) % 40));
                mask[x, y] = new L8(inside ? (byte)255 : (byte)0);
            }
            RawImages.Save(img, Path.Combine(src, "png_images", name));
            RawImages.Save(mask, Path.Combine(src, "png_masks", name));
            (isTest ? test : train).Add($"{name},1.2.276.0.7230010.3.1.4.{i},{(positive ? 1 : 0)}");
        }
        File.WriteAllLines(Path.Combine(src, PneumothoraxConverter.TrainCsv), train);
        File.WriteAllLines(Path.Combine(src, PneumothoraxConverter.TestCsv), test);
    }

    static ConversionResult Run(string src, string root, bool positivesOnly) =>
        DatasetConverters.Get("pneumothorax").Convert(new ConversionOptions
            { SourceDir = src, OutputDir = root, PositivesOnly = positivesOnly, MaxDegreeOfParallelism = 2 }, NullConversionLog.Instance);

    [Fact]
    public void KeepsAllByDefault_TrainFileBecomesTrainVal_TestFileBecomesTest()
    {
        using var t = new TempDir();
        Source(t.Sub("siim-acr-pneumothorax"));
        var r = Run(t.Path, t.Sub("out"), positivesOnly: false);
        Assert.Equal(new Dictionary<string, int> { ["train"] = 8, ["val"] = 2, ["test"] = 4 }, r.RecordsPerSplit);
        var test = AnnotationFile.Read(DatasetLayout.AnnotationPath(t.Sub("out"), "test"));
        Assert.All(test, rec => Assert.Contains("_test_", rec.ImageName));
        var empty = SegmentationDataset.Load(t.Sub("out"), "test");
        int negatives = Enumerable.Range(0, empty.Count).Count(i => empty.LoadMask(i).IsEmpty);
        Assert.Equal(2, negatives);
        var negative = test.First(rec => rec.ImageName.Contains("_test_0_"));
        Assert.Equal("no pneumothoraces in the chest X-ray", negative.Prompts["p5"][0]);
        var positive = test.First(rec => rec.ImageName.Contains("_test_1_"));
        Assert.Equal("Identify and segment the pneumothorax region in the chest X-ray", positive.Prompts["p1"][0]);
        Assert.StartsWith("one medium dark", positive.Prompts["p5"][0]);   // 9x~14 px of 32x32 = 12% -> medium
        ConverterChecks.ValidatesAndAligns(t.Sub("out"), brightObject: false);
        ConverterChecks.IsIdempotent(() => Run(t.Path, t.Sub("out"), false), t.Sub("out"));
    }

    [Fact]
    public void PositivesOnly_KeepsImagesWithPneumothorax()
    {
        using var t = new TempDir();
        Source(t.Sub("src"));
        var r = Run(t.Sub("src"), t.Sub("out"), positivesOnly: true);
        Assert.Equal(5, r.RecordsPerSplit["train"] + r.RecordsPerSplit["val"]);
        Assert.Equal(2, r.RecordsPerSplit["test"]);
        foreach (var split in DatasetLayout.Splits)
        {
            var ds = SegmentationDataset.Load(t.Sub("out"), split);
            for (int i = 0; i < ds.Count; i++) Assert.False(ds.LoadMask(i).IsEmpty);
        }
    }

    [Fact]
    public void MissingCsv_IsNamed()
    {
        using var t = new TempDir();
        Source(t.Sub("src"));
        File.Delete(Path.Combine(t.Sub("src"), PneumothoraxConverter.TestCsv));
        var e = Assert.Throws<SourceLayoutException>(() => Run(t.Sub("src"), t.Sub("out"), false));
        Assert.Contains(PneumothoraxConverter.TestCsv, e.Message);
        Assert.Contains("has_pneumo", e.Message);
    }
}
