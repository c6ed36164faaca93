using System.Text;
using Xunit;

namespace Engine.Weights.Tests;

public class SafetensorsRoundTripTests
{
    [Fact]
    public void WriteThenReadKeepsEveryDTypeValueAndShape()
    {
        using var tmp = new TempDir();
        var f = Tensor.FromArray(new[] { 1f, -2.5f, float.NaN, float.PositiveInfinity, 0f, -0f }, 2, 3);
        var l = Tensor.FromArray(new long[] { long.MinValue, 0, long.MaxValue }, 3);
        var i = Tensor.FromArray(new[] { int.MinValue, 7 }, 2, 1);
        var u8 = new Tensor(CpuStorage.WrapBytes(new byte[] { 0, 255, 17 }, DType.U8), new[] { 3 });
        var b = new Tensor(CpuStorage.WrapBytes(new byte[] { 1, 0, 1, 1 }, DType.Bool), new[] { 2, 2 });
        var scalar = Tensor.FromArray(new[] { 3.5f });
        var scalar0d = new Tensor(CpuStorage.Wrap(new[] { 4.5f }), Array.Empty<int>());
        var empty = Tensor.FromArray(Array.Empty<float>(), 0, 4);
        var dict = new Dictionary<string, Tensor> { ["z.f"] = f, ["a.l"] = l, ["m.i"] = i, ["u8"] = u8, ["mask"] = b, ["s"] = scalar, ["s0"] = scalar0d, ["empty"] = empty };
        var path = tmp.File("x.safetensors");
        SafetensorsFile.Write(path, dict, new Dictionary<string, string> { ["format"] = "pt" });

        var back = SafetensorsFile.ReadAll(path);
        Assert.Equal(dict.Keys.OrderBy(k => k, StringComparer.Ordinal), back.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (k, t) in dict)
        {
            var r = back[k];
            Assert.Equal(k, r.Name);
            Assert.Equal(t.DType, r.DType);
            Assert.Equal(t.Shape, r.Shape);
            if (t.DType == DType.F32)
                Assert.Equal(t.ToArray().Select(BitConverter.SingleToInt32Bits), r.ToArray().Select(BitConverter.SingleToInt32Bits));
            else
                Assert.Equal(t.ToInt64Array(), r.ToInt64Array());
        }
        Assert.Equal("pt", SafetensorsFile.ReadMetadata(path)["format"]);
    }

    [Fact]
    public void HeaderIsAlignedSortedAndDataPacked()
    {
        using var tmp = new TempDir();
        var path = tmp.File("a.safetensors");
        SafetensorsFile.Write(path, new Dictionary<string, Tensor>
        {
            ["b"] = Tensor.FromArray(new[] { 1f, 2f }, 2),
            ["a"] = Tensor.FromArray(new long[] { 5 }, 1),
        });
        var bytes = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        string json = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", json.TrimEnd(' '));
        Assert.Equal(8 + n + 16, bytes.Length);
        Assert.Equal(5L, BitConverter.ToInt64(bytes, (int)(8 + n)));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp"));
        Assert.Empty(Directory.GetFiles(tmp.Path, ".*"));
    }

    [Fact]
    public void WritesNonContiguousViewsInLogicalOrder()
    {
        using var tmp = new TempDir();
        var baseT = Tensor.FromArray(Enumerable.Range(0, 24).Select(v => (float)v).ToArray(), 2, 3, 4);
        var view = baseT.Permute(2, 0, 1).Slice(0, 1, 4, 2); // [2, 2, 3], strided
        Assert.False(view.IsContiguous);
        var ints = Tensor.FromArray(Enumerable.Range(0, 12).Select(v => (long)v).ToArray(), 3, 4).Transpose(0, 1);
        var path = tmp.File("v.safetensors");
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["v"] = view, ["ints"] = ints });
        var back = SafetensorsFile.ReadAll(path);
        Assert.Equal(view.Shape, back["v"].Shape);
        Assert.Equal(view.ToArray(), back["v"].ToArray());
        // naive reference for the permuted slice: v[a,b,c] = base[b, c, 1 + 2a]
        var expect = new List<float>();
        for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) for (int c = 0; c < 3; c++) expect.Add(b * 12 + c * 4 + 1 + 2 * a);
        Assert.Equal(expect, back["v"].ToArray());
        Assert.Equal(ints.ToInt64Array(), back["ints"].ToInt64Array());
        Assert.Equal(new long[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }, back["ints"].ToInt64Array());
    }

    [Fact]
    public void ReadsGoldenModelFile()
    {
        var path = TestPaths.Golden("biomedclip_tiny", "open_clip_model.safetensors");
        var all = SafetensorsFile.ReadAll(path);
        Assert.Equal(83, all.Count);
        Assert.All(all.Values, t => Assert.Equal(DType.F32, t.DType));
        Assert.Equal(340097L, all.Values.Sum(t => t.Numel));
        Assert.Equal(Array.Empty<int>(), all["logit_scale"].Shape);
        Assert.Equal(2.659260f, all["logit_scale"].Item(), 5);
    }
}
