using Engine.Weights.Pickle;
using Engine.Weights.Torch;
using Xunit;

namespace Engine.Weights.Tests;

/// <summary>The golden torch checkpoints load to exactly the tensors of their safetensors twins.</summary>
public class GoldenCheckpointTests
{
    private const string StaleBuffer = "text.transformer.embeddings.position_ids";

    [Fact]
    public void BiomedClipBinMatchesSafetensorsBitForBit()
    {
        var bin = CheckpointReader.Load(TestPaths.Golden("biomedclip_tiny", "open_clip_pytorch_model.bin"));
        var st = SafetensorsFile.ReadAll(TestPaths.Golden("biomedclip_tiny", "open_clip_model.safetensors"));
        Assert.Equal(83, st.Count);
        Assert.Equal(84, bin.Count);
        // The only extra key is the stale HF buffer the released checkpoint carries: I64 [1, 256] = 0..255.
        Assert.Equal(new[] { StaleBuffer }, bin.Keys.Except(st.Keys).ToArray());
        var pos = bin[StaleBuffer];
        Assert.Equal(DType.I64, pos.DType);
        Assert.Equal(new[] { 1, 256 }, pos.Shape);
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (long)i), pos.ToInt64Array());
        foreach (var (k, t) in st)
        {
            Assert.Equal(k, bin[k].Name);
            TensorAssert.BitEqual(t, bin[k], k);
        }
    }

    [Fact]
    public void BiomedClipFolderPrefersSafetensors()
    {
        string folder = Path.GetDirectoryName(TestPaths.Golden("biomedclip_tiny", "README.md"))!;
        Assert.Equal("open_clip_model.safetensors", Path.GetFileName(CheckpointReader.ResolveWeightsFile(folder)));
        Assert.Equal(83, CheckpointReader.Load(folder).Count);
    }

    [Fact]
    public void CrisTrainingCheckpointYieldsTheStrippedStateDict()
    {
        var pth = CheckpointReader.Load(TestPaths.Golden("cris_tiny", "cris.pth"));
        var st = SafetensorsFile.ReadAll(TestPaths.Golden("cris_tiny", "model.safetensors"));
        Assert.Equal(320, st.Count);
        Assert.Equal(st.Keys.OrderBy(k => k, StringComparer.Ordinal), pth.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (k, t) in st) TensorAssert.BitEqual(t, pth[k], k);
        // num_batches_tracked buffers are I64 0-d tensors.
        var nbt = pth["backbone.visual.bn1.num_batches_tracked"];
        Assert.Equal(DType.I64, nbt.DType);
        Assert.Empty(nbt.Shape);
    }

    [Fact]
    public void CrisTrainingCheckpointNonTensorEntriesParseAsPlainData()
    {
        using var ckpt = TorchCheckpoint.Open(TestPaths.Golden("cris_tiny", "cris.pth"));
        Assert.Equal("cris", ckpt.ArchiveFolder);
        Assert.False(ckpt.IsTorchScript);
        var root = Assert.IsType<PickleDict>(ckpt.Root);
        Assert.Equal(new object[] { "epoch", "cur_iou", "best_iou", "prec", "state_dict", "optimizer", "scheduler" }, root.Keys.ToArray());
        Assert.Equal(1L, root["epoch"]);
        var sd = Assert.IsType<PickleDict>(root["state_dict"]);
        Assert.Equal("OrderedDict", sd.Kind);
        Assert.All(sd.Keys, k => Assert.StartsWith("module.", (string)k));
        var sched = Assert.IsType<PickleDict>(root["scheduler"]);
        var milestones = Assert.IsType<PickleDict>(sched["milestones"]);
        Assert.Equal("Counter", milestones.Kind);
        Assert.Equal(1L, milestones[35L]);
        Assert.Equal(0.1, (double)sched["gamma"]!, 12);
        var opt = Assert.IsType<PickleDict>(root["optimizer"]);
        Assert.Equal(2, Assert.IsType<List<object?>>(opt["param_groups"]).Count);
    }
}
