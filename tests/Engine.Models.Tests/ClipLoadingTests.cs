using Engine.Models.Clip;
using Engine.Models.ClipSeg;
using Engine.Models.Loading;
using Engine.Weights;
using Xunit;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>Strict loading, folder detection and the bicubic position-table resize.</summary>
public sealed class ClipLoadingTests
{
    private static string CopyGolden(string src, Action<Dictionary<string, Tensor>> edit)
    {
        var dir = Path.Combine(Path.GetTempPath(), "clip-load-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(src, "config.json"), Path.Combine(dir, "config.json"));
        var w = Read(src, "model.safetensors");
        edit(w);
        SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"), w);
        return dir;
    }

    [Fact]
    public void Missing_unexpected_and_misshaped_keys_are_listed()
    {
        var dir = CopyGolden(ClipTextTiny, w =>
        {
            w.Remove("text_model.final_layer_norm.bias");
            w["text_model.extra.weight"] = Tensor.Zeros(2);
            w["text_projection.weight"] = Tensor.Zeros(3, 3);
        });
        try
        {
            var folder = ModelFolder.Open(dir);
            var e = Assert.Throws<InvalidDataException>(() => ModelFamilies.Detect(folder).OpenForwardRunner(folder, Device.Cpu));
            Assert.Contains("text_model.final_layer_norm.bias", e.Message);
            Assert.Contains("text_model.extra.weight", e.Message);
            Assert.Contains("text_projection.weight", e.Message);
            Assert.Contains("model.safetensors", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Stale_position_ids_buffers_are_accepted()
    {
        var dir = CopyGolden(ClipSegTiny, w =>
        {
            w["clip.text_model.embeddings.position_ids"] = Tensor.FromArray(Enumerable.Range(0, 77).Select(i => (long)i).ToArray(), 1, 77);
            w["clip.vision_model.embeddings.position_ids"] = Tensor.FromArray(Enumerable.Range(0, 17).Select(i => (long)i).ToArray(), 1, 17);
        });
        try { Assert.NotNull(ClipSegLoader.Load(dir, Device.Cpu)); }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Folder_errors_name_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N"));
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => ModelFolder.Open(missing)).Message);
        var empty = Directory.CreateTempSubdirectory("clip-empty-").FullName;
        try { Assert.Contains("not a model folder", Assert.Throws<InvalidDataException>(() => ModelFolder.Open(empty)).Message); }
        finally { Directory.Delete(empty, true); }
    }

    [Theory]
    [InlineData(4, 6)]
    [InlineData(14, 22)]
    [InlineData(6, 3)]
    public void Bicubic_matrix_matches_the_naive_tap_reference(int n, int m)
    {
        var rng = new Random(n * 100 + m);
        var plane = Enumerable.Range(0, n * n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        Tensor fast;
        using (Tensor.NoGrad()) fast = BicubicResize.Resize(Tensor.FromArray(plane, 1, n, n), m, m);
        var naive = BicubicResize.ResizeNaive(plane, n, n, m, m);
        var f = fast.ToArray();
        for (int i = 0; i < naive.Length; i++) Assert.True(Math.Abs(f[i] - naive[i]) < 1e-5, $"pixel {i}: {f[i]} vs {naive[i]}");
    }

    [Fact]
    public void Bicubic_weights_are_pytorch_keys_kernel()
    {
        // Rows of the resize matrix sum to 1 and identity size is the identity.
        var id = BicubicResize.Matrix(5, 5);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) Assert.Equal(i == j ? 1f : 0f, id[i * 5 + j], 6);
        var up = BicubicResize.Matrix(4, 6);
        for (int i = 0; i < 6; i++) Assert.Equal(1.0, up.Skip(i * 4).Take(4).Sum(), 5);
        Assert.Equal(1.0, BicubicResize.Kernel(0), 12);
        Assert.Equal(0.0, BicubicResize.Kernel(1), 12);
        Assert.Equal(-0.09375, BicubicResize.Kernel(1.5), 12); // a = -0.75
    }
}
