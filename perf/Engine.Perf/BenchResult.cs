using System.Globalization;
using System.Text;
using Engine.Kernels.Cpu;

namespace Engine.Perf;

/// <summary>Result of one kernel benchmark: achieved GFLOPS against the FMA peak measured in the same run, plus
/// optional extra measurements (e.g. the backward pass) that are printed alongside.</summary>
public sealed record BenchResult(string Kernel, string Shape, int Threads, double Ms, double Gflops, double PeakGflops)
{
    public double Ratio => PeakGflops > 0 ? Gflops / PeakGflops : 0;

    /// <summary>Additional named numbers, printed in insertion order.</summary>
    public List<(string Name, double Value)> Extra { get; } = new();

    public string ToJson()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"{{\"kernel\":\"{Kernel}\",\"shape\":\"{Shape}\",\"threads\":{Threads},\"ms\":{Ms:F3},\"gflops\":{Gflops:F1},\"peak_gflops\":{PeakGflops:F1},\"ratio\":{Ratio:F3}");
        foreach (var (name, value) in Extra) sb.Append(CultureInfo.InvariantCulture, $",\"{name}\":{value:0.###}");
        sb.Append(CultureInfo.InvariantCulture, $",\"simd\":\"{Gemm.KernelName}\"}}");
        return sb.ToString();
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"{Kernel} {Shape}: {Ms:F3} ms, {Gflops:F1} GFLOPS = {Ratio * 100:F1}% of {PeakGflops:F1} GFLOPS peak ({Threads} threads, {Gemm.KernelName})");
        foreach (var (name, value) in Extra) sb.Append(CultureInfo.InvariantCulture, $"; {name} {value:0.###}");
        return sb.ToString();
    }
}
