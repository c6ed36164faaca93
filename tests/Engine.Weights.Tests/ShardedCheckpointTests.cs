using Xunit;

namespace Engine.Weights.Tests;

public class ShardedCheckpointTests
{
    private static string WriteShards(TempDir tmp, string weightMapJson)
    {
        SafetensorsFile.Write(tmp.File("model-00001-of-00002.safetensors"), new Dictionary<string, Tensor> { ["a"] = Tensor.FromArray(new[] { 1f, 2f }, 2) });
        SafetensorsFile.Write(tmp.File("model-00002-of-00002.safetensors"), new Dictionary<string, Tensor>
        {
            ["b"] = Tensor.FromArray(new long[] { 3 }, 1),
            ["c"] = Tensor.FromArray(new[] { 4f }, 1),
        });
        var index = tmp.File("model.safetensors.index.json");
        File.WriteAllText(index, "{\"metadata\": {\"total_size\": 16}, \"weight_map\": " + weightMapJson + "}");
        return index;
    }

    private const string GoodMap = "{\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00002.safetensors\", \"c\": \"model-00002-of-00002.safetensors\"}";

    [Fact]
    public void FolderWithShardIndexLoadsEveryShard()
    {
        using var tmp = new TempDir();
        WriteShards(tmp, GoodMap);
        Assert.Equal("model.safetensors.index.json", Path.GetFileName(CheckpointReader.ResolveWeightsFile(tmp.Path)));
        var t = CheckpointReader.Load(tmp.Path);
        Assert.Equal(new[] { "a", "b", "c" }, t.Keys.ToArray());
        Assert.Equal(new[] { 1f, 2f }, t["a"].ToArray());
        Assert.Equal(new[] { 3L }, t["b"].ToInt64Array());
    }

    [Fact]
    public void IndexAndShardsMustAgree()
    {
        using (var tmp = new TempDir())
        {
            var index = WriteShards(tmp, "{\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00002.safetensors\"}");
            Assert.Contains("tensor 'c' is not mapped", Assert.Throws<InvalidDataException>(() => CheckpointReader.Load(index)).Message);
        }
        using (var tmp = new TempDir())
        {
            var index = WriteShards(tmp, GoodMap.Replace("}", ", \"d\": \"model-00001-of-00002.safetensors\"}"));
            Assert.Contains("missing from their shards: d", Assert.Throws<InvalidDataException>(() => CheckpointReader.Load(index)).Message);
        }
        using (var tmp = new TempDir())
        {
            var index = WriteShards(tmp, "{\"a\": \"../../etc/passwd\"}");
            Assert.Contains("not a plain file name", Assert.Throws<InvalidDataException>(() => CheckpointReader.Load(index)).Message);
        }
        using (var tmp = new TempDir())
        {
            var index = WriteShards(tmp, "[1]");
            Assert.Contains("weight_map", Assert.Throws<InvalidDataException>(() => CheckpointReader.Load(index)).Message);
        }
    }

    [Fact]
    public void MissingFolderOrWeightsAreClearErrors()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => CheckpointReader.Load(tmp.Path));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Throws<FileNotFoundException>(() => CheckpointReader.Load(tmp.File("nope.bin")));
    }

    [Fact]
    public void FolderWithASinglePthFallsBackToIt()
    {
        using var tmp = new TempDir();
        File.Copy(TestPaths.Golden("cris_tiny", "cris.pth"), tmp.File("best_model.pth"));
        Assert.Equal(320, CheckpointReader.Load(tmp.Path).Count);
    }
}
