using System.Globalization;
using System.Text;

namespace Engine.Perf;

/// <summary>Text and JSON rendering of a <see cref="ModelProfile"/>: one row per kernel and phase with calls per step,
/// total and mean time, GFLOPS (GEMM/conv/attention) or GB/s (memory-bound kernels), and share of the step.</summary>
public static class ModelProfileTable
{
    public static string Format(ModelProfile p, double peakGflops = 0, int maxRows = 40)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(inv, $"{p.Family} {p.Mode}, batch {p.Batch}, {p.Size}x{p.Size}: step mean {p.MeanStepMs:F1} ms, best {p.BestStepMs:F1} ms over {p.Steps} steps"));
        sb.AppendLine(string.Create(inv, $"{"kernel",-34} {"phase",-9} {"calls",7} {"total ms",10} {"mean ms",9} {"GFLOPS",8} {"GB/s",7} {"share",6}"));
        double step = p.MeanStepMs;
        int shown = 0;
        foreach (var o in p.Ops)
        {
            if (shown++ >= maxRows) break;
            double total = o.TotalMs / p.Steps;
            string gf = o.Flops > 0 ? o.Gflops.ToString("F1", inv) : "";
            string bw = o.Flops == 0 && o.Bytes > 0 ? o.GBps.ToString("F1", inv) : "";
            sb.AppendLine(string.Create(inv, $"{Trim(o.Name, 34),-34} {o.Phase,-9} {o.Calls / (double)p.Steps,7:0.#} {total,10:F2} {o.MeanMs,9:F3} {gf,8} {bw,7} {total / step * 100,5:F1}%"));
        }
        if (p.Ops.Count > maxRows) sb.AppendLine($"... {p.Ops.Count - maxRows} more rows");
        double kernels = p.KernelMsPerStep;
        double gflopStep = p.GflopPerStep;
        sb.AppendLine(string.Create(inv, $"kernels {kernels:F1} ms/step ({kernels / step * 100:F1}%), outside kernels (graph, views, allocation bookkeeping, GC) {step - kernels:F1} ms ({(step - kernels) / step * 100:F1}%)"));
        string work = string.Create(inv, $"work: {gflopStep:F2} GFLOP/step (GEMM, conv, attention) -> {gflopStep * 1000 / step:F1} GFLOPS over the whole step");
        if (peakGflops > 0)
            work += string.Create(inv, $" = {gflopStep * 1000 / step / peakGflops * 100:F1}% of the {peakGflops:F1} GFLOPS FMA peak; FLOP bound {gflopStep / peakGflops * 1000:F1} ms -> {step / (gflopStep / peakGflops * 1000):F2}x");
        sb.AppendLine(work);
        sb.Append(string.Create(inv, $"memory: {p.AllocMbPerStep:F1} MB allocated/step, GC pauses {p.GcPauseMsPerStep:F1} ms/step"));
        return sb.ToString();
    }

    public static string ToJson(ModelProfile p, double peakGflops = 0)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"{{\"profile\":\"{p.Family}\",\"mode\":\"{p.Mode}\",\"batch\":{p.Batch},\"size\":{p.Size},\"steps\":{p.Steps},\"step_ms\":{p.MeanStepMs:F2},\"best_step_ms\":{p.BestStepMs:F2},");
        sb.Append(inv, $"\"kernel_ms\":{p.KernelMsPerStep:F2},\"gflop_per_step\":{p.GflopPerStep:F3},\"peak_gflops\":{peakGflops:F1},\"alloc_mb_per_step\":{p.AllocMbPerStep:F1},\"gc_pause_ms_per_step\":{p.GcPauseMsPerStep:F1},\"ops\":[");
        for (int i = 0; i < p.Ops.Count; i++)
        {
            var o = p.Ops[i];
            if (i > 0) sb.Append(',');
            sb.Append(inv, $"{{\"name\":\"{o.Name}\",\"phase\":\"{o.Phase}\",\"calls\":{o.Calls},\"total_ms\":{o.TotalMs:F3},\"mean_ms\":{o.MeanMs:F4},\"gflops\":{o.Gflops:F2},\"gbps\":{o.GBps:F2},\"share\":{o.TotalMs / p.Steps / p.MeanStepMs:F4}}}");
        }
        sb.Append("]}");
        return sb.ToString();
    }

    private static string Trim(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "~";
}
