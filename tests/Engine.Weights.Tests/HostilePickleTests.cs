using Engine.Weights.Pickle;
using Engine.Weights.Torch;
using Xunit;

namespace Engine.Weights.Tests;

/// <summary>Crafted malicious or broken pickles are refused with a clear message and without side effects.</summary>
public class HostilePickleTests
{
    private static InvalidDataException LoadZip(byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null)
    {
        using var tmp = new TempDir();
        var path = tmp.File("evil.pth");
        TorchZipBuilder.Write(path, pickle, storages ?? new Dictionary<string, byte[]>());
        var e = Assert.Throws<InvalidDataException>(() => CheckpointReader.Load(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    private static string Marker() => Path.Combine(Path.GetTempPath(), "engine-weights-pwned-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void GlobalOsSystemIsRefusedAndNothingRuns()
    {
        string marker = Marker();
        var p = new PickleBuilder().Proto().Global("os", "system").Str("touch " + marker).Op('\x85').Reduce().Stop();
        var e = LoadZip(p.ToArray());
        Assert.True(UnsafeCheckpoint.IsRefusal(e));
        Assert.Contains("'os.system'", e.Message);
        Assert.Contains("Nothing was executed", e.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void StackGlobalBuiltinsEvalIsRefused()
    {
        var p = new PickleBuilder().Proto(4).StackGlobal("builtins", "eval").Str("__import__('os').system('true')").Op('\x85').Reduce().Stop();
        var e = LoadZip(p.ToArray());
        Assert.True(UnsafeCheckpoint.IsRefusal(e));
        Assert.Contains("'builtins.eval'", e.Message);
    }

    [Theory]
    [InlineData("posix", "system")]
    [InlineData("subprocess", "Popen")]
    [InlineData("subprocess", "check_output")]
    [InlineData("__builtin__", "getattr")]
    [InlineData("builtins", "exec")]
    [InlineData("torch", "load")]
    [InlineData("torch.serialization", "load")]
    [InlineData("numpy", "load")]
    [InlineData("__main__", "Model")]
    public void OtherGlobalsAreRefusedByName(string module, string name)
    {
        var p = new PickleBuilder().Proto().Global(module, name).Mark().Tuple().Reduce().Stop();
        var e = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(p.ToArray(), "x.pkl"));
        Assert.True(UnsafeCheckpoint.IsRefusal(e));
        string shown = module == "__builtin__" ? "builtins" : module;
        Assert.Contains($"'{shown}.{name}'", e.Message);
    }

    [Fact]
    public void ReduceOfAnAllowedButNonCallableGlobalIsRefused()
    {
        // torch.FloatStorage may only appear inside a persistent id; calling it (FloatStorage(...)) is refused.
        var p = new PickleBuilder().Proto().Global("torch", "FloatStorage").IntTuple(10).Reduce().Stop();
        var e = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(p.ToArray(), "x.pkl"));
        Assert.True(UnsafeCheckpoint.IsRefusal(e));
        Assert.Contains("torch.FloatStorage", e.Message);
        Assert.Contains("not callable", e.Message);
    }

    [Fact]
    public void ReduceOnANonGlobalIsRefused()
    {
        var p = new PickleBuilder().Proto().Str("os.system").Str("ls").Op('\x85').Reduce().Stop();
        var e = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(p.ToArray(), "x.pkl"));
        Assert.True(UnsafeCheckpoint.IsRefusal(e));
        Assert.Contains("REDUCE calls str", e.Message);
    }

    [Fact]
    public void RebuildFromTypeWithANonTensorTypeIsRefused()
    {
        var p = new PickleBuilder().Proto().Global("torch._tensor", "_rebuild_from_type_v2")
            .Mark().Global("collections", "OrderedDict").Global("collections", "OrderedDict").EmptyTuple().EmptyDict().Tuple().Reduce().Stop();
        var e = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(p.ToArray(), "x.pkl"));
        Assert.True(UnsafeCheckpoint.IsRefusal(e));
    }

    [Theory]
    [InlineData((byte)'i', "INST")]
    [InlineData((byte)'o', "OBJ")]
    [InlineData((byte)0x82, "EXT1")]
    [InlineData((byte)0x97, "NEXT_BUFFER")]
    public void ObjectCreationOpcodesOutsideTheAllowListAreRefused(byte op, string name)
    {
        var p = new PickleBuilder().Proto(5).Mark().Raw(op, 1, 1).Stop();
        var e = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(p.ToArray(), "x.pkl"));
        Assert.True(UnsafeCheckpoint.IsRefusal(e));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void UnknownOpcodeIsAClearError()
    {
        var p = new PickleBuilder().Proto().EmptyDict().Raw(0xff).Stop();
        var e = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(p.ToArray(), "x.pkl"));
        Assert.Contains("unknown pickle opcode 0xff at byte 3", e.Message);
        Assert.Contains("x.pkl", e.Message);
    }

    [Fact]
    public void TruncatedStreamIsAClearError()
    {
        var full = new PickleBuilder().Proto().EmptyDict().Str("key").Str("a fairly long value").SetItem().Stop().ToArray();
        for (int cut = 0; cut < full.Length; cut++)
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(full[..cut], "x.pkl"));
            Assert.Contains("x.pkl", e.Message);
        }
        var last = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(full[..^1], "x.pkl"));
        Assert.Contains("without a STOP", last.Message);
        var mid = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(full[..12], "x.pkl"));
        Assert.Contains("truncated", mid.Message);
        Assert.IsType<PickleDict>(SafeUnpickler.Loads(full));
    }

    [Fact]
    public void MemoReadBeforeWriteAndStackUnderflowAreErrors()
    {
        var e1 = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(new PickleBuilder().Proto().Get(7).Stop().ToArray()));
        Assert.Contains("memo entry 7", e1.Message);
        var e2 = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(new PickleBuilder().Proto().SetItem().Stop().ToArray()));
        Assert.Contains("stack underflow", e2.Message);
        var e3 = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(new PickleBuilder().Proto().EmptyList().SetItems().Stop().ToArray()));
        Assert.Contains("MARK", e3.Message);
    }

    [Fact]
    public void SelfReferentialCheckpointDictIsAnErrorNotAStackOverflow()
    {
        // d = {}; d['model'] = d  (via the memo)
        var p = new PickleBuilder().Proto().EmptyDict().Put().Str("model").Get(0).SetItem().Stop();
        var e = LoadZip(p.ToArray());
        Assert.Contains("nested more than 8 levels", e.Message);
    }

    [Fact]
    public void StoragePastTheEndOfItsZipRecordIsRefused()
    {
        // The pickle claims 1000 floats but the record holds 4.
        var p = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("w").Tensor("FloatStorage", "0", 1000, 0, new[] { 1000 }, new long[] { 1 }).SetItem().Stop();
        var e = LoadZip(p.ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(1, 2, 3, 4) });
        Assert.Contains("storage '0' claims 1000 elements (4000 bytes) but its record holds only 16 bytes", e.Message);
    }

    [Fact]
    public void TensorViewPastTheEndOfItsStorageIsRefused()
    {
        // Storage of 4 floats, view of 3 elements at offset 2 -> reads element 4.
        var p = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("w").Tensor("FloatStorage", "0", 4, 2, new[] { 3 }, new long[] { 1 }).SetItem().Stop();
        var e = LoadZip(p.ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(1, 2, 3, 4) });
        Assert.Contains("past the storage's 16 bytes", e.Message);
        // Same with a stride that jumps out.
        var p2 = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("w").Tensor("FloatStorage", "0", 4, 0, new[] { 2, 2 }, new long[] { 3, 1 }).SetItem().Stop();
        Assert.Contains("past the storage", LoadZip(p2.ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(1, 2, 3, 4) }).Message);
    }

    [Fact]
    public void ViewsThatMultiplyTheStoredDataAreRefusedBeforeAllocating()
    {
        // A one-float storage broadcast (stride 0) to 100M elements would allocate 400 MB.
        var p = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("w").Tensor("FloatStorage", "0", 1, 0, new[] { 100_000_000 }, new long[] { 0 }).SetItem().Stop();
        var e = LoadZip(p.ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(1) });
        Assert.Contains("would materialise 400000000 bytes from 4 bytes of storage", e.Message);
    }

    [Fact]
    public void RepeatedlyCopyingABigContainerThroughTheMemoIsBounded()
    {
        // d = {0: 0, ..., 9999: 0}; then Counter(d) 200k times via the memo: 2e9 element copies for ~1.4 MB of input (the work bound is about one element copied per input byte).
        var p = new PickleBuilder().Proto().Global("collections", "Counter").Put().EmptyDict().Put().Mark();
        for (int i = 0; i < 10_000; i++) p.Int(i).Int(0);
        p.SetItems().EmptyList().Mark();
        for (int i = 0; i < 200_000; i++) p.Get(0).Get(1).Op('\x85').Reduce();
        p.Appends().Stop();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<InvalidDataException>(() => SafeUnpickler.Loads(p.ToArray(), "bomb.pkl"));
        Assert.Contains("far more work than its size justifies", e.Message);
        // ~0.5 s of CPU when alone; the bound only separates "bounded" from "runs for minutes" on a loaded 2-core CI.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"took {sw.Elapsed}");
    }

    [Fact]
    public void ABigTupleReusedAsADictKeyIsHashedOnce()
    {
        // t = (0, 1, ..., 49999); 50k SETITEMs d[t] = i through the memo must stay linear.
        var p = new PickleBuilder().Proto().EmptyDict().Mark();
        for (int i = 0; i < 50_000; i++) p.Int(i % 200);
        p.Tuple().Put();
        p.Op('0'); // pop the tuple, keep it in the memo
        for (int i = 0; i < 50_000; i++) p.Get(0).Int(i % 200).SetItem();
        p.Stop();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var d = Assert.IsType<PickleDict>(SafeUnpickler.Loads(p.ToArray()));
        Assert.Equal(1, d.Count);
        // ~0.5 s of CPU when alone; the bound only separates "bounded" from "runs for minutes" on a loaded 2-core CI.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"took {sw.Elapsed}");
    }

    [Fact]
    public void MissingStorageRecordIsAnError()
    {
        var p = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("w").Tensor("FloatStorage", "7", 1, 0, new[] { 1 }, new long[] { 1 }).SetItem().Stop();
        var e = LoadZip(p.ToArray());
        Assert.Contains("storage '7'", e.Message);
        Assert.Contains("archive/data/7", e.Message);
    }

    [Fact]
    public void ZipWithoutDataPklIsNotACheckpoint()
    {
        using var tmp = new TempDir();
        var path = tmp.File("x.bin");
        using (var z = new System.IO.Compression.ZipArchive(File.Create(path), System.IO.Compression.ZipArchiveMode.Create))
            z.CreateEntry("hello.txt");
        var e = Assert.Throws<InvalidDataException>(() => CheckpointReader.Load(path));
        Assert.Contains("data.pkl", e.Message);
    }

    [Fact]
    public void LegacyNonZipTorchFileGetsAPreciseError()
    {
        using var tmp = new TempDir();
        var path = tmp.File("old.pth");
        File.WriteAllBytes(path, new PickleBuilder().Proto().Int(0x1950a86a20f9469c).Stop().ToArray());
        var e = Assert.Throws<InvalidDataException>(() => CheckpointReader.Load(path));
        Assert.Contains("legacy", e.Message);
    }
}
