using Xunit;

namespace Engine.Weights.Tests;

public class ConvertRoundTripTests
{
    [Fact]
    public void BinToSafetensorsKeepsEveryTensorExactly()
    {
        using var tmp = new TempDir();
        string bin = TestPaths.Golden("biomedclip_tiny", "open_clip_pytorch_model.bin");
        string output = tmp.File("model.safetensors");
        var r = CheckpointConverter.Convert(bin, output);
        Assert.Equal(84, r.TensorCount);
        var original = CheckpointReader.Load(bin);
        var converted = SafetensorsFile.ReadAll(output);
        Assert.Equal(original.Keys.OrderBy(k => k, StringComparer.Ordinal), converted.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (k, t) in original) TensorAssert.BitEqual(t, converted[k], k);
        Assert.Equal("open_clip_pytorch_model.bin", SafetensorsFile.ReadMetadata(output)["converted_from"]);
    }

    [Fact]
    public void ExcludeDropsTheStaleBufferAndMatchesTheReleasedSafetensors()
    {
        using var tmp = new TempDir();
        string output = tmp.File("out.safetensors");
        var r = CheckpointConverter.Convert(TestPaths.Golden("biomedclip_tiny", "open_clip_pytorch_model.bin"), output,
            new[] { "text.transformer.embeddings.position_ids" });
        Assert.Equal(83, r.TensorCount);
        var reference = SafetensorsFile.ReadAll(TestPaths.Golden("biomedclip_tiny", "open_clip_model.safetensors"));
        var converted = SafetensorsFile.ReadAll(output);
        Assert.Equal(reference.Count, converted.Count);
        foreach (var (k, t) in reference) TensorAssert.BitEqual(t, converted[k], k);
        Assert.Throws<ArgumentException>(() => CheckpointConverter.Convert(TestPaths.Golden("biomedclip_tiny", "open_clip_pytorch_model.bin"), output, new[] { "no.such.key" }));
    }

    [Fact]
    public void CrisPthConvertsToTheStrippedStateDict()
    {
        using var tmp = new TempDir();
        string output = tmp.File("cris.safetensors");
        CheckpointConverter.Convert(TestPaths.Golden("cris_tiny", "cris.pth"), output);
        var reference = SafetensorsFile.ReadAll(TestPaths.Golden("cris_tiny", "model.safetensors"));
        var converted = SafetensorsFile.ReadAll(output);
        Assert.Equal(reference.Count, converted.Count);
        foreach (var (k, t) in reference) TensorAssert.BitEqual(t, converted[k], k);
    }
}
