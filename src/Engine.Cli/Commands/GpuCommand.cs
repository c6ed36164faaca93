using System.CommandLine;
using Engine.Kernels.Gpu;
using Engine.Kernels.Gpu.Bench;

namespace Engine.Cli.Commands;

/// <summary>`engine gpu info|check|bench|ptx`: the ILGPU kernels on a CUDA GPU (or the CPU simulator): device
/// info, real-size correctness checks against host references, kernel throughput, offline PTX compilation.
/// Each prints JSON lines (perf/gpu/run_on_gpu.sh parses them).</summary>
public sealed class GpuCommand : ICliCommand
{
    public Command Build()
    {
        var gpu = new Command("gpu", "ILGPU kernels: info, check (real sizes vs host references), bench (throughput), ptx.");
        gpu.Subcommands.Add(Sub("info", "Print the accelerator in use.", dev =>
        {
            Console.WriteLine($"{{\"device\":\"{dev.Name}\",\"cuda\":{(dev.IsCuda ? "true" : "false")},\"warp\":{dev.WarpSize},\"max_group\":{dev.MaxGroupSize}}}");
            return 0;
        }));
        gpu.Subcommands.Add(Sub("check", "Kernel correctness at real sizes against host references.", dev =>
        {
            int failures = 0;
            foreach (var line in GpuBench.Check(dev)) { Console.WriteLine(line); if (line.Contains("\"ok\":false")) failures++; }
            return failures == 0 ? 0 : 1;
        }));
        gpu.Subcommands.Add(Sub("bench", "GEMM (fp32 and TF32 tensor cores), attention and conv throughput.", dev =>
        {
            foreach (var line in GpuBench.Throughput(dev)) Console.WriteLine(line);
            return 0;
        }));
        var ptx = new Command("ptx", "Compile every kernel to PTX (sm_80) without a GPU; report time and external calls.");
        var ptxOut = new Option<string?>("--out") { Description = "Also write each kernel's PTX to DIR/<kernel>.ptx (to read what ILGPU emits)." };
        ptx.Options.Add(ptxOut);
        ptx.SetAction(p =>
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var results = KernelCatalog.CompileAllToPtx();
            if (p.GetValue(ptxOut) is { } dir)
            {
                Directory.CreateDirectory(dir);
                foreach (var r in results) File.WriteAllText(Path.Combine(dir, r.Name + ".ptx"), r.Ptx);
            }
            int ext = results.Count(r => r.Ptx.Contains(".extern .func"));
            Console.WriteLine($"{{\"kernels\":{results.Count},\"ms\":{sw.Elapsed.TotalMilliseconds:F0},\"with_extern_func\":{ext}}}");
            return ext == 0 ? 0 : 1;
        });
        gpu.Subcommands.Add(ptx);
        return gpu;
    }

    private static Command Sub(string name, string description, Func<GpuDevice, int> body)
    {
        var device = new Option<string>("--device") { Description = "cuda (default) or ilgpu-cpu (CPU simulator: slow, tiny shapes only).", DefaultValueFactory = _ => "cuda" };
        var cmd = new Command(name, description) { device };
        cmd.SetAction(p =>
        {
            using var dev = OpenDevice(p.GetValue(device)!);
            return body(dev);
        });
        return cmd;
    }

    /// <summary>The ILGPU accelerator a --device value names: cuda, cuda:N or ilgpu-cpu.</summary>
    internal static GpuDevice OpenDevice(string d) => d switch
    {
        "ilgpu-cpu" => GpuDevice.CreateCpu(),
        "cuda" => GpuDevice.CreateCuda(0),
        _ when d.StartsWith("cuda:") && int.TryParse(d.AsSpan(5), out var i) => GpuDevice.CreateCuda(i),
        _ => throw new ArgumentException($"Unknown GPU device '{d}' (cuda, cuda:N or ilgpu-cpu)."),
    };
}
