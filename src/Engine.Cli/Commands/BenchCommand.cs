using System.CommandLine;
using Engine.Kernels.Gpu;
using Engine.Kernels.Gpu.Bench;
using Engine.Perf;

namespace Engine.Cli.Commands;

/// <summary>`engine bench &lt;what&gt;`: kernel benchmarks reported against the FMA peak measured in the same run.
/// Each subcommand is one method below; to add one, write a method returning a Command and list it in Build().</summary>
public sealed class BenchCommand : ICliCommand
{
    public Command Build()
    {
        var bench = new Command("bench", "Benchmarks (GFLOPS and share of the measured FMA peak).");
        bench.Subcommands.Add(Peak());
        bench.Subcommands.Add(GemmCommand());
        bench.Subcommands.Add(AttentionCommand());
        bench.Subcommands.Add(ConvCommand());
        bench.Subcommands.Add(ModelBenchCommand.Build()); // whole models: ModelBenchCommand.cs
        return bench;
    }

    private static Option<int> IntOption(string name, string description, int defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    private static Option<int> ThreadsOption() =>
        IntOption("--threads", "Worker threads (default: all processors).", Environment.ProcessorCount);

    private static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON line." };

    private static Option<string> DeviceOption() => new("--device")
    {
        Description = "cpu (default: our SIMD kernels against the measured FMA peak), or cuda, cuda:N, ilgpu-cpu (the ILGPU kernels; one JSON line).",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>Runs a GPU benchmark when --device names an ILGPU accelerator; false for cpu.</summary>
    private static bool OnGpu(ParseResult p, Option<string> device, Func<GpuDevice, string> bench)
    {
        string d = p.GetValue(device)!;
        if (d == "cpu") return false;
        using var dev = GpuCommand.OpenDevice(d);
        Console.WriteLine(bench(dev));
        return true;
    }

    private static void Print(BenchResult result, bool json) =>
        Console.WriteLine(json ? result.ToJson() : result.ToString());

    private static Command Peak()
    {
        var threads = ThreadsOption();
        var json = JsonOption();
        var cmd = new Command("peak", "FP32 FMA throughput microbenchmark.") { threads, json };
        cmd.SetAction(p =>
        {
            int t = p.GetValue(threads);
            double gflops = FmaPeak.MeasureGflops(t);
            Console.WriteLine(p.GetValue(json)
                ? FormattableString.Invariant($"{{\"kernel\":\"fma_peak\",\"threads\":{t},\"gflops\":{gflops:F1},\"peak_gflops\":{gflops:F1},\"ratio\":1}}")
                : FormattableString.Invariant($"FMA peak: {gflops:F1} GFLOPS ({t} threads)"));
            return 0;
        });
        return cmd;
    }

    private static Command GemmCommand()
    {
        var m = IntOption("--m", "Rows of A and C.", 1024);
        var k = IntOption("--k", "Inner dimension.", 1024);
        var n = IntOption("--n", "Columns of B and C.", 1024);
        var batch = IntOption("--batch", "Independent matrices per call.", 1);
        var transB = new Option<bool>("--trans-b") { Description = "Use B transposed (N x K storage)." };
        var prepacked = new Option<bool>("--prepacked") { Description = "B packed once up front and read in place (as inference Linear weights are)." };
        var tensorCores = new Option<bool>("--tf32") { Description = "With a GPU device: the TF32 tensor-core path instead of fp32." };
        var threads = ThreadsOption();
        var json = JsonOption();
        var device = DeviceOption();
        var cmd = new Command("gemm", "C = A * B on the GEMM kernel (CPU, or ILGPU with --device).") { m, k, n, batch, transB, prepacked, tensorCores, threads, json, device };
        cmd.SetAction(p =>
        {
            if (p.GetValue(device) != "cpu" && (p.GetValue(batch) != 1 || p.GetValue(transB) || p.GetValue(prepacked)))
                throw new ArgumentException("--batch, --trans-b and --prepacked are CPU-only options of `engine bench gemm`.");
            if (p.GetValue(prepacked) && p.GetValue(batch) != 1)
                throw new ArgumentException("--prepacked times one matrix: leave --batch at 1.");
            if (OnGpu(p, device, dev => GpuBench.GemmThroughput(dev, Positive(p.GetValue(m), "--m"), Positive(p.GetValue(k), "--k"),
                    Positive(p.GetValue(n), "--n"), p.GetValue(tensorCores) ? GemmPrecision.Tf32TensorCore : GemmPrecision.Fp32)))
                return 0;
            Print(GemmBench.Run(Positive(p.GetValue(m), "--m"), Positive(p.GetValue(k), "--k"), Positive(p.GetValue(n), "--n"),
                Positive(p.GetValue(threads), "--threads"), p.GetValue(transB), Positive(p.GetValue(batch), "--batch"), p.GetValue(prepacked)), p.GetValue(json));
            return 0;
        });
        return cmd;
    }

    private static Command AttentionCommand()
    {
        var heads = IntOption("--heads", "Attention heads.", 12);
        var tokens = IntOption("--tokens", "Sequence length (queries = keys).", 485);
        var dim = IntOption("--dim", "Head dimension.", 64);
        var batch = IntOption("--batch", "Batch size.", 1);
        var causal = new Option<bool>("--causal") { Description = "Causal masking." };
        var threads = ThreadsOption();
        var json = JsonOption();
        var device = DeviceOption();
        var cmd = new Command("attention", "Fused attention forward and backward.") { heads, tokens, dim, batch, causal, threads, json, device };
        cmd.SetAction(p =>
        {
            if (p.GetValue(device) != "cpu" && p.GetValue(causal))
                throw new ArgumentException("--causal is a CPU-only option of `engine bench attention`.");
            if (OnGpu(p, device, dev => GpuBench.AttentionThroughput(dev, Positive(p.GetValue(batch), "--batch"), Positive(p.GetValue(heads), "--heads"),
                    Positive(p.GetValue(tokens), "--tokens"), Positive(p.GetValue(dim), "--dim"))))
                return 0;
            Print(AttentionBench.Run(Positive(p.GetValue(heads), "--heads"), Positive(p.GetValue(tokens), "--tokens"),
                Positive(p.GetValue(dim), "--dim"), Positive(p.GetValue(threads), "--threads"), Positive(p.GetValue(batch), "--batch"),
                p.GetValue(causal)), p.GetValue(json));
            return 0;
        });
        return cmd;
    }

    private static Command ConvCommand()
    {
        var n = IntOption("--n", "Batch size.", 1);
        var c = IntOption("--c", "Input channels.", 64);
        var h = IntOption("--h", "Input height.", 104);
        var w = IntOption("--w", "Input width.", 104);
        var k = IntOption("--k", "Output channels.", 64);
        var kernel = IntOption("--kernel", "Square kernel size (padding kernel/2).", 3);
        var stride = IntOption("--stride", "Stride.", 1);
        var forwardOnly = new Option<bool>("--forward-only") { Description = "Skip the backward passes." };
        var threads = ThreadsOption();
        var json = JsonOption();
        var device = DeviceOption();
        var cmd = new Command("conv", "Conv2d forward (and backward) via im2col + GEMM (GPU devices: forward only).") { n, c, h, w, k, kernel, stride, forwardOnly, threads, json, device };
        cmd.SetAction(p =>
        {
            if (OnGpu(p, device, dev => GpuBench.ConvThroughput(dev, Positive(p.GetValue(n), "--n"), Positive(p.GetValue(c), "--c"),
                    Positive(p.GetValue(h), "--h"), Positive(p.GetValue(w), "--w"), Positive(p.GetValue(k), "--k"),
                    Positive(p.GetValue(kernel), "--kernel"), Positive(p.GetValue(stride), "--stride"))))
                return 0;
            Print(ConvBench.Run(Positive(p.GetValue(n), "--n"), Positive(p.GetValue(c), "--c"), Positive(p.GetValue(h), "--h"),
                Positive(p.GetValue(w), "--w"), Positive(p.GetValue(k), "--k"), Positive(p.GetValue(kernel), "--kernel"),
                Positive(p.GetValue(stride), "--stride"), Positive(p.GetValue(threads), "--threads"), !p.GetValue(forwardOnly)), p.GetValue(json));
            return 0;
        });
        return cmd;
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name} must be positive (got {value}).");
}
