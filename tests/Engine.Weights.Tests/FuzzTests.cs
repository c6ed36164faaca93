using System.Diagnostics;
using System.IO.Compression;
using Engine.Weights.Torch;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Weights.Tests;

/// <summary>
/// Random corruption of valid safetensors files, torch pickles and torch zip containers (fixed seeds, a few hundred
/// iterations each, bounded time). The only acceptable outcomes are a successful load or InvalidDataException; any
/// other exception type, a crash or a hang fails the test.
/// </summary>
public class FuzzTests
{
    private readonly ITestOutputHelper _out;
    public FuzzTests(ITestOutputHelper output) => _out = output;

    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    /// <summary>Applies 1-4 random edits: bit flips, byte overwrites (biased to the first bytes, where headers and
    /// opcodes live), truncation, insertion, deletion, or a wild 32-bit little-endian integer.</summary>
    private const string Syntax = "{}[]\",:0123456789-eE\n.()XqhKu";

    internal static byte[] Mutate(byte[] src, Random rng)
    {
        var b = new List<byte>(src);
        int edits = rng.Next(1, 5);
        for (int e = 0; e < edits && b.Count > 0; e++)
        {
            int pos = rng.Next(2) == 0 ? rng.Next(Math.Min(b.Count, 256)) : rng.Next(b.Count);
            switch (rng.Next(7))
            {
                case 0: b[pos] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[pos] = (byte)rng.Next(256); break;
                case 2: b.RemoveRange(pos, Math.Min(1 + rng.Next(16), b.Count - pos)); break; // delete a few bytes
                case 3: b.RemoveRange(pos, b.Count - pos); break; // truncate
                case 4: b.InsertRange(pos, Enumerable.Range(0, 1 + rng.Next(8)).Select(_ => (byte)rng.Next(256))); break;
                case 5:
                {
                    var wild = BitConverter.GetBytes(rng.Next(3) switch { 0 => int.MaxValue, 1 => -1, _ => rng.Next() });
                    for (int i = 0; i < 4 && pos + i < b.Count; i++) b[pos + i] = wild[i];
                    break;
                }
                default: b[pos] = (byte)Syntax[rng.Next(Syntax.Length)]; break; // a structural character
            }
        }
        return b.ToArray();
    }

    private void Run(string what, int iterations, int seed, Action<byte[]> load, byte[] valid)
    {
        // ENGINE_FUZZ_ITERATIONS=N runs a deeper campaign (e.g. before a release); ENGINE_FUZZ_SEED varies the seed.
        if (int.TryParse(Environment.GetEnvironmentVariable("ENGINE_FUZZ_ITERATIONS"), out int deep) && deep > 0) iterations = deep;
        if (int.TryParse(Environment.GetEnvironmentVariable("ENGINE_FUZZ_SEED"), out int s)) seed += s;
        var rng = new Random(seed);
        int ok = 0, rejected = 0;
        var sw = Stopwatch.StartNew();
        long slowest = 0;
        var task = Task.Run(() =>
        {
            for (int i = 0; i < iterations; i++)
            {
                var bytes = Mutate(valid, rng);
                long t0 = sw.ElapsedMilliseconds;
                try
                {
                    load(bytes);
                    ok++;
                }
                catch (InvalidDataException)
                {
                    rejected++;
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"{what}: iteration {i} threw {e.GetType().Name} instead of InvalidDataException: {e}");
                }
                slowest = Math.Max(slowest, sw.ElapsedMilliseconds - t0);
            }
        });
        var budget = iterations > 1000 ? TimeSpan.FromSeconds(Budget.TotalSeconds * iterations / 300) : Budget;
        Assert.True(task.Wait(budget), $"{what}: fuzzing did not finish within {budget.TotalSeconds} s (hang?)");
        task.GetAwaiter().GetResult();
        _out.WriteLine($"{what}: {iterations} mutants, {ok} loaded, {rejected} rejected, {sw.ElapsedMilliseconds} ms, slowest {slowest} ms");
        Assert.True(rejected > iterations / 10, $"{what}: only {rejected} of {iterations} mutants were rejected; is the fuzzer mutating anything?");
    }

    [Fact]
    public void CorruptSafetensorsOnlyRaiseInvalidData()
    {
        using var tmp = new TempDir();
        var valid = tmp.File("valid.safetensors");
        SafetensorsFile.Write(valid, new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => i * 0.5f).ToArray(), 2, 3, 4),
            ["ids"] = Tensor.FromArray(new long[] { 1, 2, 3 }, 3),
            ["n"] = Tensor.FromArray(new[] { 7, 8 }, 2),
            ["mask"] = new Tensor(CpuStorage.WrapBytes(new byte[] { 1, 0 }, DType.Bool), new[] { 2 }),
        }, new Dictionary<string, string> { ["format"] = "pt" });
        var path = tmp.File("mutant.safetensors");
        Run("safetensors", 400, 1234, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            var all = SafetensorsFile.ReadAll(path);
            using var r = SafetensorsFile.Open(path);
            foreach (var e in r.Entries) _ = r.GetBytes(e.Name).Length;
        }, File.ReadAllBytes(valid));
    }

    /// <summary>Storages served from memory, so pickle mutants need no zip round trip.</summary>
    private sealed class MemoryStorages(Dictionary<string, byte[]> records) : ITorchStorageSource
    {
        public string File => "memory.pth";
        public long RecordLength(string key) => records.TryGetValue(key, out var r) ? r.Length : throw new InvalidDataException($"no record {key}");
        public byte[] ReadRecord(string key, long byteLength) => records[key][..(int)byteLength];
        public void ReadRecordInto(string key, long byteOffset, Span<byte> destination) => records[key].AsSpan((int)byteOffset, destination.Length).CopyTo(destination);
    }

    [Fact]
    public void CorruptTorchPicklesOnlyRaiseInvalidData()
    {
        // The real CRIS training pickle (dicts, lists, floats, Counter, 320 tensors) with its storages in memory.
        Dictionary<string, byte[]> records;
        byte[] pickle;
        using (var zip = ZipFile.OpenRead(TestPaths.Golden("cris_tiny", "cris.pth")))
        {
            pickle = ReadAll(zip.GetEntry("cris/data.pkl")!);
            records = zip.Entries.Where(e => e.FullName.StartsWith("cris/data/", StringComparison.Ordinal))
                .ToDictionary(e => e.FullName["cris/data/".Length..], ReadAll);
        }
        var source = new MemoryStorages(records);
        Assert.Equal(320, CheckpointReader.ExtractStateDict(TorchCheckpoint.Unpickle("memory.pth", pickle, source), "memory.pth").Count);
        Run("torch pickle", 300, 5678, bytes =>
        {
            var root = TorchCheckpoint.Unpickle("memory.pth", bytes, source);
            CheckpointReader.ExtractStateDict(root, "memory.pth");
        }, pickle);
    }

    [Fact]
    public void CorruptTorchZipContainersOnlyRaiseInvalidData()
    {
        using var tmp = new TempDir();
        var valid = tmp.File("valid.pth");
        var pk = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark()
            .Str("a").Tensor("FloatStorage", "0", 6, 0, new[] { 2, 3 }, new long[] { 3, 1 })
            .Str("b").Tensor("LongStorage", "1", 2, 1, new[] { 1 }, new long[] { 1 })
            .SetItems().Stop();
        TorchZipBuilder.Write(valid, pk.ToArray(), new Dictionary<string, byte[]>
        {
            ["0"] = TorchZipBuilder.Floats(1, 2, 3, 4, 5, 6),
            ["1"] = TorchZipBuilder.Longs(7, 8),
        });
        Assert.Equal(2, CheckpointReader.Load(valid).Count);
        var path = tmp.File("mutant.pth");
        Run("torch zip", 300, 91011, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            CheckpointReader.Load(path);
        }, File.ReadAllBytes(valid));
    }

    private static byte[] ReadAll(ZipArchiveEntry e)
    {
        using var s = e.Open();
        var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
