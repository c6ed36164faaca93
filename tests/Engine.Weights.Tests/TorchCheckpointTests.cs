using Engine.Weights.Pickle;
using Engine.Weights.Torch;
using Xunit;

namespace Engine.Weights.Tests;

/// <summary>Crafted torch checkpoints exercising dtypes, strided views, shared storages, parameters, training-checkpoint
/// layouts and TorchScript module objects.</summary>
public class TorchCheckpointTests
{
    private static Dictionary<string, Tensor> LoadZip(byte[] pickle, IReadOnlyDictionary<string, byte[]> storages, string folder = "archive",
        IReadOnlyDictionary<string, byte[]>? extra = null)
    {
        using var tmp = new TempDir();
        var path = tmp.File("x.pth");
        TorchZipBuilder.Write(path, pickle, storages, folder, extra);
        return CheckpointReader.Load(path);
    }

    private static PickleBuilder OrderedDict() => new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce();

    [Fact]
    public void EveryStorageDTypeConvertsLikeSafetensors()
    {
        var half = new[] { (Half)1.5f, (Half)(-2f), Half.PositiveInfinity };
        var bf16 = new ushort[] { 0x3FC0, 0xC000 }; // 1.5, -2
        var pk = OrderedDict()
            .Mark()
            .Str("h").Tensor("HalfStorage", "h", 3, 0, new[] { 3 }, new long[] { 1 })
            .Str("b").Tensor("BFloat16Storage", "b", 2, 0, new[] { 2 }, new long[] { 1 })
            .Str("d").Tensor("DoubleStorage", "d", 2, 0, new[] { 2 }, new long[] { 1 })
            .Str("l").Tensor("LongStorage", "l", 2, 0, new[] { 2 }, new long[] { 1 })
            .Str("i").Tensor("IntStorage", "i", 2, 0, new[] { 2 }, new long[] { 1 })
            .Str("s").Tensor("ShortStorage", "s", 2, 0, new[] { 2 }, new long[] { 1 })
            .Str("c").Tensor("CharStorage", "c", 2, 0, new[] { 2 }, new long[] { 1 })
            .Str("u").Tensor("ByteStorage", "u", 2, 0, new[] { 2 }, new long[] { 1 })
            .Str("m").Tensor("BoolStorage", "m", 3, 0, new[] { 3 }, new long[] { 1 })
            .SetItems().Stop();
        var storages = new Dictionary<string, byte[]>
        {
            ["h"] = half.SelectMany(h => BitConverter.GetBytes(h)).ToArray(),
            ["b"] = bf16.SelectMany(BitConverter.GetBytes).ToArray(),
            ["d"] = new[] { 0.1, -1e300 }.SelectMany(BitConverter.GetBytes).ToArray(),
            ["l"] = TorchZipBuilder.Longs(long.MinValue, 42),
            ["i"] = new[] { -7, int.MaxValue }.SelectMany(BitConverter.GetBytes).ToArray(),
            ["s"] = new short[] { -300, 300 }.SelectMany(BitConverter.GetBytes).ToArray(),
            ["c"] = new byte[] { 0xFF, 0x7F },
            ["u"] = new byte[] { 0xFF, 0x7F },
            ["m"] = new byte[] { 1, 0, 1 },
        };
        var t = LoadZip(pk.ToArray(), storages);
        Assert.Equal(new[] { "h", "b", "d", "l", "i", "s", "c", "u", "m" }, t.Keys.ToArray());
        Assert.Equal(new[] { 1.5f, -2f, float.PositiveInfinity }, t["h"].ToArray());
        Assert.Equal(new[] { 1.5f, -2f }, t["b"].ToArray());
        Assert.Equal(new[] { 0.1f, float.NegativeInfinity }, t["d"].ToArray());
        Assert.Equal(DType.I64, t["l"].DType);
        Assert.Equal(new[] { long.MinValue, 42 }, t["l"].ToInt64Array());
        Assert.Equal(DType.I32, t["i"].DType);
        Assert.Equal(new long[] { -7, int.MaxValue }, t["i"].ToInt64Array());
        Assert.Equal(new long[] { -300, 300 }, t["s"].ToInt64Array());
        Assert.Equal(new long[] { -1, 127 }, t["c"].ToInt64Array());
        Assert.Equal(DType.U8, t["u"].DType);
        Assert.Equal(new long[] { 255, 127 }, t["u"].ToInt64Array());
        Assert.Equal(DType.Bool, t["m"].DType);
        Assert.Equal(new long[] { 1, 0, 1 }, t["m"].ToInt64Array());
        Assert.All(t, kv => Assert.Equal(kv.Key, kv.Value.Name));
    }

    [Fact]
    public void StridedViewsAndSharedStoragesMaterialiseInLogicalOrder()
    {
        // One storage 0..11 shared by: a transposed [4,3] view of a [3,4] matrix, a slice at offset 5, a broadcast (stride 0) row.
        var pk = OrderedDict().Mark()
            .Str("t").Tensor("FloatStorage", "0", 12, 0, new[] { 4, 3 }, new long[] { 1, 4 })
            .Str("slice").Tensor("FloatStorage", "0", 12, 5, new[] { 2, 2 }, new long[] { 4, 1 })
            .Str("bcast").Tensor("FloatStorage", "0", 12, 1, new[] { 2, 3 }, new long[] { 0, 1 })
            .Str("empty").Tensor("FloatStorage", "0", 12, 12, new[] { 0, 5 }, new long[] { 5, 1 })
            .SetItems().Stop();
        var data = TorchZipBuilder.Floats(Enumerable.Range(0, 12).Select(i => (float)i).ToArray());
        var t = LoadZip(pk.ToArray(), new Dictionary<string, byte[]> { ["0"] = data });
        // naive reference: element [a, b] = storage[offset + a*s0 + b*s1]
        Assert.Equal(new float[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }, t["t"].ToArray());
        Assert.Equal(new float[] { 5, 6, 9, 10 }, t["slice"].ToArray());
        Assert.Equal(new float[] { 1, 2, 3, 1, 2, 3 }, t["bcast"].ToArray());
        Assert.Equal(new[] { 0, 5 }, t["empty"].Shape);
        Assert.True(t["t"].IsContiguous);
    }

    [Fact]
    public void ParametersAndRebuildFromTypeUnwrapToTensors()
    {
        var pk = OrderedDict().Mark()
            .Str("p").Global("torch._utils", "_rebuild_parameter").Mark()
                .Tensor("FloatStorage", "0", 2, 0, new[] { 2 }, new long[] { 1 }, requiresGrad: true).Bool(true).Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Tuple().Reduce()
            .Str("q").Global("torch._tensor", "_rebuild_from_type_v2").Mark()
                .Global("torch._utils", "_rebuild_tensor_v2").Global("torch.nn.parameter", "Parameter")
                .Mark().Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cuda:0").Int(2).Tuple().BinPersId()
                .Int(1).IntTuple(1).IntTuple(1).Bool(false).Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple()
                .EmptyDict()
            .Tuple().Reduce()
            .SetItems().Stop();
        var t = LoadZip(pk.ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(3, 4) });
        Assert.Equal(new[] { 3f, 4f }, t["p"].ToArray());
        Assert.Equal(new[] { 4f }, t["q"].ToArray());
    }

    [Fact]
    public void StateDictMetadataBuildIsAcceptedAndIgnored()
    {
        // model.state_dict() is an OrderedDict with a _metadata attribute: pickled as items, then BUILD({'_metadata': ...}).
        var pk = OrderedDict().Mark().Str("w").Tensor("FloatStorage", "0", 1, 0, new[] { 1 }, new long[] { 1 }).SetItems()
            .EmptyDict().Str("_metadata").Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("").EmptyDict().Str("version").Int(1).SetItem().SetItem().SetItem().Build().Stop();
        var t = LoadZip(pk.ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(9) });
        Assert.Equal(new[] { "w" }, t.Keys.ToArray());
    }

    [Fact]
    public void TrainingCheckpointUnderModelKeyAndPartialModulePrefix()
    {
        // {'epoch': 3, 'model': {'module.a': t, 'b': t}} -> the prefix is kept because not every key has it.
        var pk = new PickleBuilder().Proto().EmptyDict().Mark()
            .Str("epoch").Int(3)
            .Str("args").Mark().Int(1).Float(0.5).Str("x").Tuple()
            .Str("model").EmptyDict().Mark()
                .Str("module.a").Tensor("FloatStorage", "0", 1, 0, new[] { 1 }, new long[] { 1 })
                .Str("b").Tensor("FloatStorage", "1", 1, 0, new[] { 1 }, new long[] { 1 })
                .Str("note").Str("not a tensor")
            .SetItems()
            .SetItems().Stop();
        var t = LoadZip(pk.ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(1), ["1"] = TorchZipBuilder.Floats(2) });
        Assert.Equal(new[] { "module.a", "b" }, t.Keys.ToArray());
    }

    [Fact]
    public void CheckpointWithoutTensorsIsAClearError()
    {
        var pk = new PickleBuilder().Proto().EmptyDict().Str("epoch").Int(3).SetItem().Stop();
        using var tmp = new TempDir();
        var path = tmp.File("x.pth");
        TorchZipBuilder.Write(path, pk.ToArray(), new Dictionary<string, byte[]>());
        var e = Assert.Throws<InvalidDataException>(() => CheckpointReader.Load(path));
        Assert.Contains("holds no tensors", e.Message);
        Assert.Contains("'epoch'", e.Message);
    }

    [Fact]
    public void TorchScriptModuleTensorsAreCollectedByAttributePath()
    {
        // What torch.jit.save writes for a module: GLOBAL '__torch__.<qualname>', EMPTY_TUPLE, NEWOBJ, then BUILD with an
        // attribute dict; submodules are nested objects; non-tensor attributes (training, ints, None) are skipped.
        var pk = new PickleBuilder().Proto()
            .Global("__torch__.clip.model", "CLIP").EmptyTuple().NewObj().EmptyDict().Mark()
                .Str("training").Bool(false)
                .Str("visual").Global("__torch__.clip.model", "ModifiedResNet").EmptyTuple().NewObj().EmptyDict().Mark()
                    .Str("training").Bool(false)
                    .Str("conv1").Global("__torch__.torch.nn.modules.conv", "Conv2d").EmptyTuple().NewObj().EmptyDict().Mark()
                        .Str("training").Bool(false)
                        .Str("weight").Tensor("FloatStorage", "0", 4, 0, new[] { 1, 1, 2, 2 }, new long[] { 4, 4, 2, 1 })
                        .Str("bias").None()
                    .SetItems().Build()
                    .Str("input_resolution").Int(224)
                .SetItems().Build()
                .Str("logit_scale").Tensor("FloatStorage", "1", 1, 0, Array.Empty<int>(), Array.Empty<long>())
                .Str("vocab_size").Global("torch.jit._pickle", "build_intlist").Mark().EmptyList().Mark().Int(1).Int(2).Appends().Tuple().Reduce()
            .SetItems().Build().Stop();
        var storages = new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(1, 2, 3, 4), ["1"] = TorchZipBuilder.Floats(4.6052f) };
        var extra = new Dictionary<string, byte[]>
        {
            ["constants.pkl"] = new PickleBuilder().Proto().EmptyTuple().Stop().ToArray(),
            ["code/__torch__/clip/model.py"] = "class CLIP(Module): ..."u8.ToArray(),
        };
        using var tmp = new TempDir();
        var path = tmp.File("RN50.pt");
        TorchZipBuilder.Write(path, pk.ToArray(), storages, "RN50", extra);
        using (var ckpt = TorchCheckpoint.Open(path))
        {
            Assert.True(ckpt.IsTorchScript);
            Assert.Equal("RN50", ckpt.ArchiveFolder);
            var root = Assert.IsType<PickleObject>(ckpt.Root);
            Assert.Equal("__torch__.clip.model.CLIP", root.ClassName);
        }
        var t = CheckpointReader.Load(path);
        Assert.Equal(new[] { "visual.conv1.weight", "logit_scale" }, t.Keys.ToArray());
        Assert.Equal(new[] { 1, 1, 2, 2 }, t["visual.conv1.weight"].Shape);
        Assert.Equal(new[] { 1f, 2, 3, 4 }, t["visual.conv1.weight"].ToArray());
        Assert.Empty(t["logit_scale"].Shape);
    }

    [Fact]
    public void ProtocolFourAndFiveOpcodesAndPlainDataDecode()
    {
        // FRAME, SHORT_BINUNICODE, MEMOIZE, BINBYTES, EMPTY_SET/ADDITEMS, FROZENSET, Counter, numpy scalar, LONG1, text opcodes.
        var b = new PickleBuilder().Proto(4).Raw(0x95).Raw(BitConverter.GetBytes(0L))
            .Raw(0x8c, 1, (byte)'k').Raw(0x94)
            .EmptyDict().Raw(0x94).Mark()
                .Raw(0x8c, 1, (byte)'s').Raw(0x8f).Mark().Int(1).Int(2).Raw(0x90)
                .Raw(0x8c, 1, (byte)'f').Mark().Int(3).Raw(0x91)
                .Raw(0x8c, 1, (byte)'c').Global("collections", "Counter").EmptyDict().Int(35).Int(2).SetItem().Op('\x85').Reduce()
                .Raw(0x8c, 1, (byte)'n').Global("numpy.core.multiarray", "scalar").Global("numpy", "dtype").Str("f8").Bool(false).Bool(true).Raw(0x87).Reduce()
                    .Mark().Int(3).Str("<").None().None().None().Int(-1).Int(-1).Int(0).Tuple().Build()
                    .Raw((byte)'C', 8).Raw(BitConverter.GetBytes(0.25)).Raw(0x86).Reduce()
                .Raw(0x8c, 1, (byte)'L').Raw(0x8a, 9).Raw(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 1 })
                .Raw(0x8c, 1, (byte)'t').Op('I').Raw("-12\n"u8.ToArray())
                .Raw(0x8c, 1, (byte)'F').Op('F').Raw("2.5\n"u8.ToArray())
                .Raw(0x8c, 1, (byte)'S').Op('S').Raw("'a\\nb'\n"u8.ToArray())
                .Raw(0x8c, 1, (byte)'V').Op('V').Raw("caf\\u00e9\n"u8.ToArray())
                .Raw(0x8c, 1, (byte)'g').Raw((byte)'h', 0)
            .SetItems().Stop();
        var d = Assert.IsType<PickleDict>(SafeUnpickler.Loads(b.ToArray()));
        Assert.Equal(new long[] { 1, 2 }, Assert.IsType<PickleSet>(d["s"]).Cast<long>());
        Assert.True(Assert.IsType<PickleSet>(d["f"]).Frozen);
        var c = Assert.IsType<PickleDict>(d["c"]);
        Assert.Equal("Counter", c.Kind);
        Assert.Equal(2L, c[35L]);
        Assert.Equal(0.25, d["n"]);
        Assert.Equal(System.Numerics.BigInteger.One << 64, d["L"]);
        Assert.Equal(-12L, d["t"]);
        Assert.Equal(2.5, d["F"]);
        Assert.Equal("a\nb", d["S"]);
        Assert.Equal("café", d["V"]);
        Assert.Equal("k", d["g"]);
    }
}
