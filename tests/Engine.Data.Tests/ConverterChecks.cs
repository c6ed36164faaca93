using Engine.Data.Converters;
using Xunit;

namespace Engine.Data.Tests;

/// <summary>Checks every converter test applies to its output: the dataset validates, masks are strictly binary,
/// masks sit on the object in the image, and a second run rewrites nothing and leaves identical bytes.</summary>
public static class ConverterChecks
{
    public static void ValidatesAndAligns(string root, bool brightObject = true)
    {
        foreach (var split in SegmentationDataset.AvailableSplits(root))
        {
            var ds = SegmentationDataset.Load(root, split, new DatasetLoadOptions { RequiredPromptKeys = ["p0", "p4", "p9"] });
            for (int i = 0; i < ds.Count; i++)
            {
                var s = ds.Get(i, "p4");
                if (s.Mask.IsEmpty) continue;
                double inside = 0, outside = 0; int ni = 0, no = 0;
                for (int p = 0; p < s.Mask.Data.Length; p++)
                {
                    double v = s.Image.Pixels[3 * p] + s.Image.Pixels[3 * p + 1] + s.Image.Pixels[3 * p + 2];
                    if (s.Mask.Data[p]) { inside += v; ni++; } else { outside += v; no++; }
                }
                if (no == 0) continue;
                if (brightObject) Assert.True(inside / ni > outside / no + 100, $"{split} record {i}: mask not on the object ({inside / ni:F0} vs {outside / no:F0})");
            }
        }
    }

    /// <summary>Runs the conversion a second time: nothing written, every byte the same.</summary>
    public static void IsIdempotent(Func<ConversionResult> convert, string root)
    {
        var before = FolderSnapshot.Take(root);
        var times = FolderSnapshot.Times(root);
        var again = convert();
        Assert.Equal(0, again.FilesWritten);
        var after = FolderSnapshot.Take(root);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (k, v) in before) Assert.True(v.AsSpan().SequenceEqual(after[k]), $"{k} changed on re-run");
        Assert.Equal(times, FolderSnapshot.Times(root));
    }

    public static int Count(string root, string split) => AnnotationFile.Read(DatasetLayout.AnnotationPath(root, split)).Count;
}
