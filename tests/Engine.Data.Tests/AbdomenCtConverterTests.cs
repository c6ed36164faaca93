using Engine.Data.Converters;
using Engine.Data.Nifti;
using Xunit;

namespace Engine.Data.Tests;

public class AbdomenCtConverterTests
{
    const int Nx = 12, Ny = 10, Nz = 6;

    /// <summary>Label of voxel (x, y, z) in patient terms: x 0 = patient's far right ... Nx-1 far left, y 0 = most
    /// anterior, z 0 = most inferior. Liver on the patient's right-anterior side in slices 1..3, a kidney on each side
    /// posteriorly in slices 2..4, spleen on the left in slice 3 (not in case 2), nothing in slices 0 and 5.</summary>
    static int Label(int x, int y, int z, int caseNo)
    {
        if (z is >= 1 and <= 3 && x < 4 && y < 4) return 1;
        if (z is >= 2 and <= 4 && y >= 7 && (x is 1 or 2 || x is 9 or 10)) return 2;
        if (z == 3 && caseNo != 2 && x >= 9 && y is >= 2 and < 5) return 3;
        return 0;
    }

    /// <summary>HU: 40 in the liver, 200 in kidneys, 60 in spleen, -1000 elsewhere.</summary>
    static double Hu(int label) => label switch { 1 => 40, 2 => 200, 3 => 60, _ => -1000 };

    /// <summary>Three cases with different storage: (1) LPS sform, int16 big-endian with slope 2 / inter -1000, .nii.gz;
    /// (2) RAS qform, float32 little-endian, .nii; (3) LPS via a 180° quaternion about z, int32, .nii.gz.</summary>
    static void Source(string src)
    {
        // Patient "x" above counts from the right side (0) to the left side (Nx-1), "y" from anterior (0) to posterior.
        // LPS storage: i grows toward the left  -> x = i;           j grows toward posterior -> y = j.
        // RAS storage: i grows toward the right -> x = Nx-1-i;      j grows toward anterior  -> y = Ny-1-j.
        var ct1 = new NiftiWriter { Dims = [Nx, Ny, Nz], DataType = NiftiDataType.Int16, BigEndian = true, Slope = 2, Inter = -1000 }
            .SForm([-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 2.5f, 0]);
        ct1.Write(Path.Combine(src, "Image", "Case_00001_0000.nii.gz"), (i, j, k) => (Hu(Label(i, j, k, 1)) + 1000) / 2);
        var m1 = new NiftiWriter { Dims = [Nx, Ny, Nz], DataType = NiftiDataType.UInt8 }.SForm([-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 2.5f, 0]);
        m1.Write(Path.Combine(src, "Mask", "Case_00001.nii.gz"), (i, j, k) => Label(i, j, k, 1));

        var ct2 = new NiftiWriter { Dims = [Nx, Ny, Nz], DataType = NiftiDataType.Float32 }.QForm(0, 0, 0);
        ct2.Write(Path.Combine(src, "Image", "Case_00002_0000.nii"), (i, j, k) => Hu(Label(Nx - 1 - i, Ny - 1 - j, k, 2)));
        var m2 = new NiftiWriter { Dims = [Nx, Ny, Nz], DataType = NiftiDataType.Int16 }.QForm(0, 0, 0);
        m2.Write(Path.Combine(src, "Mask", "Case_00002.nii"), (i, j, k) => Label(Nx - 1 - i, Ny - 1 - j, k, 2));

        // quaternion (b,c,d) = (0,0,1): 180° about z, i.e. diag(-1,-1,1) = LPS again, through the qform path.
        var ct3 = new NiftiWriter { Dims = [Nx, Ny, Nz], DataType = NiftiDataType.Int32 }.QForm(0, 0, 1);
        ct3.Write(Path.Combine(src, "Image", "Case_00003_0000.nii.gz"), (i, j, k) => Hu(Label(i, j, k, 3)));
        var m3 = new NiftiWriter { Dims = [Nx, Ny, Nz], DataType = NiftiDataType.Float32 }.QForm(0, 0, 1);
        m3.Write(Path.Combine(src, "Mask", "Case_00003.nii.gz"), (i, j, k) => Label(i, j, k, 3));
    }

    static ConversionResult Run(string src, string root, int every = 1, string split = "1,1,1", (double, double)? window = null) =>
        DatasetConverters.Get("abdomenct-1k").Convert(new ConversionOptions
        {
            SourceDir = src, OutputDir = root, Every = every, Split = SplitSpec.Parse(split), Window = window ?? (40, 400), MaxDegreeOfParallelism = 2,
        }, NullConversionLog.Instance);

    [Fact]
    public void SlicesOrgansOrientationWindowAndPatientSplits()
    {
        using var t = new TempDir();
        Source(t.Sub("src"));
        string root = t.Sub("out");
        var r = Run(t.Sub("src"), root);
        Assert.Empty(r.Skipped);
        // per case: liver slices 1..3 (3), kidney 2..4 (3), spleen slice 3 (1, not case 2) -> 7 + 6 + 7
        Assert.Equal(20, r.RecordsPerSplit.Values.Sum());
        Assert.Equal(new Dictionary<string, int> { ["kidney"] = 9, ["liver"] = 9, ["spleen"] = 2 }, r.RecordsPerClass);
        Assert.Equal(12, r.ImagesPerSplit.Values.Sum());   // slices 1..4 of each case

        // Patient-level split: each case's records all in one split, one case per split.
        var caseSplits = DatasetLayout.Splits.SelectMany(s => AnnotationFile.Read(DatasetLayout.AnnotationPath(root, s))
                .Select(rec => (Case: rec.ImageName[..10], Split: s)))
            .Distinct().ToList();
        Assert.Equal(3, caseSplits.Count);
        Assert.Equal(3, caseSplits.Select(c => c.Split).Distinct().Count());

        foreach (var caseNo in new[] { 1, 2, 3 })
        {
            // Liver (patient right-anterior) must be at the image's top-left; kidneys at the bottom.
            var liver = ImageFiles.LoadStrictBinaryMask(Path.Combine(root, "masks", $"Case_0000{caseNo}_z0002_liver.png"));
            Assert.Equal((Nx, Ny), (liver.Width, liver.Height));
            for (int y = 0; y < Ny; y++) for (int x = 0; x < Nx; x++)
                Assert.Equal(Label(x, y, 2, caseNo) == 1, liver[x, y]);
            var image = ImageFiles.LoadGray(Path.Combine(root, "images", $"Case_0000{caseNo}_z0002.png"));
            Assert.Equal(128, image.Gray[0]);            // liver HU 40 -> (40+160)/400*255 = 127.5 -> 128
            Assert.Equal(0, image.Gray[Nx - 1]);          // air -1000 HU -> 0
            Assert.Equal(230, image.Gray[8 * Nx + 1]);    // kidney HU 200 -> 229.5 -> 230
        }
        var records = DatasetLayout.Splits.SelectMany(s => AnnotationFile.Read(DatasetLayout.AnnotationPath(root, s))).ToList();
        var liverRecord = records.First(x => x.ClassName == "liver");
        Assert.Equal("Segment the liver in the abdominal region in the CT image", liverRecord.Prompts["p1"][0]);
        var kidney = records.First(x => x.ClassName == "kidney");
        Assert.StartsWith("two ", kidney.Prompts["p5"][0]);
        Assert.Contains("kidneys", kidney.Prompts["p5"][0]);
        ConverterChecks.IsIdempotent(() => Run(t.Sub("src"), root), root);
        foreach (var s in DatasetLayout.Splits) SegmentationDataset.Load(root, s);
    }

    [Fact]
    public void EveryAndWindowOptions()
    {
        using var t = new TempDir();
        Source(t.Sub("src"));
        var r = Run(t.Sub("src"), t.Sub("out"), every: 2, window: (0, 2000));
        // even slices with organs: 2 (liver, kidney) and 4 (kidney) per case
        Assert.Equal(9, r.RecordsPerSplit.Values.Sum());
        var names = Directory.GetFiles(t.Sub("out", "images")).Select(Path.GetFileName).ToList();
        Assert.All(names, n => Assert.Matches("_z000[24]\\.png$", n!));
        var image = ImageFiles.LoadGray(t.Sub("out", "images", "Case_00001_z0002.png"));
        Assert.Equal(133, image.Gray[0]);   // (40+1000)/2000*255 = 132.6
    }

    [Fact]
    public void MismatchedMask_SkipsTheCaseWithAWarning()
    {
        using var t = new TempDir();
        Source(t.Sub("src"));
        new NiftiWriter { Dims = [Nx, Ny, Nz - 1], DataType = NiftiDataType.UInt8 }.Write(Path.Combine(t.Sub("src"), "Mask", "Case_00003.nii.gz"), (i, j, k) => 0);
        var r = Run(t.Sub("src"), t.Sub("out"), split: "0.34,0.33,0.33");
        var skipped = Assert.Single(r.Skipped);
        Assert.Contains("Case_00003", skipped.Path);
        Assert.Contains("12x10x5", skipped.Reason);
    }
}
