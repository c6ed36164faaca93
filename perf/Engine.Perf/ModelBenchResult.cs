using System.Globalization;
using System.Text;

namespace Engine.Perf;

/// <summary>
/// Timing of one <see cref="ModelBenchCase"/>. <see cref="GflopPerStep"/> counts the GEMM, convolution and attention
/// math the step executed (measured by the op profiler on a warm-up step); the FLOP lower bound is that work at the
/// FMA peak measured in the same run, and <see cref="BoundRatio"/> = measured time / bound (1.0 = at peak).
/// </summary>
public sealed record ModelBenchResult(
    string Family, string Preset, int Size, ModelBenchCase Case, int Threads,
    double BestMs, double MedianMs, double GflopPerStep, double PeakGflops,
    double PeakGcMb, double PeakWorkingSetMb, double AllocMbPerStep, double GcPauseMsPerStep)
{
    public double MsPerItem => BestMs / Case.Items;
    public double ItemsPerSecond => Case.Items * 1000.0 / BestMs;
    public double Gflops => GflopPerStep * 1000.0 / BestMs;
    public double Ratio => PeakGflops > 0 ? Gflops / PeakGflops : 0;
    public double BoundMs => PeakGflops > 0 ? GflopPerStep / PeakGflops * 1000.0 : 0;
    public double BoundRatio => BoundMs > 0 ? BestMs / BoundMs : 0;
    /// <summary>Median over the timed steps of (step time / the FLOP bound at the FMA rate of the burst run right after
    /// that step): the ratio with step and peak taken a moment apart, so a step slowed by this shared machine is set
    /// against the peak of that same minute. <see cref="BoundRatio"/> sets the best step against the best burst of
    /// the whole run.</summary>
    public double PairedBoundRatio { get; init; }
    /// <summary>Share of kernel time in convolutions (conv2d, conv-transpose2d and their gradients) on the profiled warm-up step.</summary>
    public double ConvShare { get; init; }
    /// <summary>Per-kernel profile of one step (when asked for).</summary>
    public ModelProfile? Profile { get; init; }

    public string ToJson()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"{{\"bench\":\"model\",\"family\":\"{Family}\",\"preset\":\"{Preset}\",\"size\":{Size},\"mode\":\"{Case.Mode}\",\"batch\":{Case.Batch},");
        sb.Append(inv, $"\"threads\":{Threads},\"ms_per_step\":{BestMs:F1},\"median_ms_per_step\":{MedianMs:F1},\"ms_per_{Case.Unit}\":{MsPerItem:F1},\"{Case.Unit}s_per_s\":{ItemsPerSecond:F3},");
        sb.Append(inv, $"\"gflop_per_step\":{GflopPerStep:F2},\"gflops\":{Gflops:F1},\"peak_gflops\":{PeakGflops:F1},\"ratio\":{Ratio:F3},");
        sb.Append(inv, $"\"flop_bound_ms\":{BoundMs:F1},\"bound_ratio\":{BoundRatio:F2},\"paired_bound_ratio\":{PairedBoundRatio:F2},");
        sb.Append(inv, $"\"peak_gc_mb\":{PeakGcMb:F0},\"peak_working_set_mb\":{PeakWorkingSetMb:F0},\"alloc_mb_per_step\":{AllocMbPerStep:F1},\"gc_pause_ms_per_step\":{GcPauseMsPerStep:F1},\"conv_share\":{ConvShare:F3}}}");
        return sb.ToString();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Family} {Preset} {Size}px batch {Case.Batch} {Case.Mode}: {MsPerItem:F1} ms/{Case.Unit} ({ItemsPerSecond:F2} {Case.Unit}s/s; step best {BestMs:F0} ms, median {MedianMs:F0} ms), " +
        $"{GflopPerStep:F1} GFLOP/step, {Gflops:F1} GFLOPS = {Ratio * 100:F1}% of {PeakGflops:F1} GFLOPS peak, FLOP bound {BoundMs:F0} ms -> {BoundRatio:F2}x (per step against the burst after it: median {PairedBoundRatio:F2}x); " +
        $"peak GC heap {PeakGcMb:F0} MB, peak working set {PeakWorkingSetMb:F0} MB, {AllocMbPerStep:F1} MB allocated/step, GC pauses {GcPauseMsPerStep:F1} ms/step; convolutions {ConvShare * 100:F0}% of kernel time ({Threads} threads)");
}
