using Engine.Data.Nifti;
using Xunit;

namespace Engine.Data.Tests;

public class NiftiTests
{
    public static TheoryData<NiftiDataType, bool> AllTypes()
    {
        var d = new TheoryData<NiftiDataType, bool>();
        foreach (var t in Enum.GetValues<NiftiDataType>()) { d.Add(t, false); d.Add(t, true); }
        return d;
    }

    static bool Signed(NiftiDataType t) => t is NiftiDataType.Int8 or NiftiDataType.Int16 or NiftiDataType.Int32 or NiftiDataType.Int64 or NiftiDataType.Float32 or NiftiDataType.Float64;

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Datatypes_ByteOrders_AndScaling_Decode(NiftiDataType type, bool bigEndian)
    {
        using var t = new TempDir();
        double Raw(int i, int j, int k) => (Signed(type) ? -20 : 0) + i + 5 * j + 17 * k + (type is NiftiDataType.Float32 or NiftiDataType.Float64 ? 0.5 : 0);
        var w = new NiftiWriter { DataType = type, BigEndian = bigEndian, Slope = 2, Inter = -3, Dims = [4, 3, 2] };
        var path = t.Sub("v.nii.gz");
        w.Write(path, Raw);
        var v = NiftiVolume.Load(path);
        Assert.Equal(bigEndian, v.Header.BigEndian);
        Assert.Equal([4, 3, 2], v.Header.Dims);
        for (int k = 0; k < 2; k++) for (int j = 0; j < 3; j++) for (int i = 0; i < 4; i++)
            Assert.Equal(2 * Raw(i, j, k) - 3, v.Value(i, j, k), 9);
    }

    [Fact]
    public void ZeroSlope_MeansNoScaling()
    {
        using var t = new TempDir();
        var w = new NiftiWriter { Slope = 0, Inter = 100 };
        w.Write(t.Sub("v.nii"), (i, j, k) => 7);
        Assert.Equal(7, NiftiVolume.Load(t.Sub("v.nii")).Value(1, 1, 1));
    }

    /// <summary>Loads a 5x4x3 volume with one marked voxel and returns where the marker shows in the radiological
    /// axial slices: (slice, row, col), plus the orientation code.</summary>
    static (int Slice, int Row, int Col, string Code, int W, int H) Marker(NiftiWriter w, int mi, int mj, int mk)
    {
        using var t = new TempDir();
        w.Write(t.Sub("m.nii"), (i, j, k) => i == mi && j == mj && k == mk ? 1 : 0);
        var v = NiftiVolume.Load(t.Sub("m.nii"));
        var (width, height) = v.AxialSliceSize;
        for (int s = 0; s < v.AxialSliceCount; s++)
        {
            var px = v.AxialSlice(s);
            int at = Array.IndexOf(px, 1.0);
            if (at >= 0) return (s, at / width, at % width, v.Orientation.Code, width, height);
        }
        throw new Xunit.Sdk.XunitException("marker not found");
    }

    [Fact]
    public void LpsSform_ShowsVoxelZeroTopLeft()
    {
        // i grows toward the patient's left, j toward posterior: exactly the radiological screen directions.
        var r = Marker(new NiftiWriter { Dims = [5, 4, 3] }.SForm([-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0]), 0, 0, 1);
        Assert.Equal((1, 0, 0, "LPS", 5, 4), r);
    }

    [Fact]
    public void RasQform_FlipsBothInPlaneAxes()
    {
        // i grows toward the patient's right (shown on the screen's left), j toward anterior (shown at the top).
        var r = Marker(new NiftiWriter { Dims = [5, 4, 3] }.QForm(0, 0, 0), 0, 0, 1);
        Assert.Equal((1, 3, 4, "RAS", 5, 4), r);
    }

    [Fact]
    public void QfacMinusOne_FlipsSliceOrder()
    {
        var r = Marker(new NiftiWriter { Dims = [5, 4, 3] }.QForm(0, 0, 0, qfac: -1), 0, 0, 0);
        Assert.Equal("RAI", r.Code);
        Assert.Equal(2, r.Slice);   // k = 0 is the most superior slice
    }

    [Fact]
    public void QuaternionRotation_90DegreesAboutZ()
    {
        // R = [[0,-1,0],[1,0,0],[0,0,1]]: i -> +y (anterior), j -> -x (left).
        var r = Marker(new NiftiWriter { Dims = [5, 4, 3] }.QForm(0, 0, (float)Math.Sqrt(0.5)), 1, 2, 0);
        Assert.Equal("ALS", r.Code);
        Assert.Equal((4, 5), (r.W, r.H));           // columns run along j, rows along i
        Assert.Equal((0, 5 - 1 - 1, 2), (r.Slice, r.Row, r.Col));
    }

    [Fact]
    public void PermutedSform_SlicesAlongFirstAxis()
    {
        // voxel axis 0 -> superior, 1 -> right, 2 -> anterior.
        var r = Marker(new NiftiWriter { Dims = [3, 5, 4] }.SForm([0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]), 2, 0, 0);
        Assert.Equal((2, 3, 4, "SRA", 5, 4), r);
    }

    [Fact]
    public void NoQformNoSform_FallsBackToRadiologicalAnalyzeConvention()
    {
        var r = Marker(new NiftiWriter { Dims = [5, 4, 3] }, 0, 0, 0);
        Assert.Equal("LAS", r.Code);
    }

    [Fact]
    public void BadFiles_AreNamed()
    {
        using var t = new TempDir();
        var w = new NiftiWriter();
        var bytes = w.Build((i, j, k) => 1);
        File.WriteAllBytes(t.Sub("trunc.nii"), bytes[..(bytes.Length - 3)]);
        var e = Assert.Throws<DatasetException>(() => NiftiVolume.Load(t.Sub("trunc.nii")));
        Assert.Contains("trunc.nii", e.Message);
        Assert.Contains("truncated", e.Message);

        var rgb = (byte[])bytes.Clone();
        rgb[70] = 128; rgb[71] = 0; rgb[72] = 24;
        File.WriteAllBytes(t.Sub("rgb.nii"), rgb);
        var d = Assert.Throws<DatasetException>(() => NiftiVolume.Load(t.Sub("rgb.nii")));
        Assert.Contains("RGB24", d.Message);

        File.WriteAllBytes(t.Sub("junk.nii.gz"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
        var g = Assert.Throws<DatasetException>(() => NiftiVolume.Load(t.Sub("junk.nii.gz")));
        Assert.Contains("junk.nii.gz", g.Message);
    }
}
