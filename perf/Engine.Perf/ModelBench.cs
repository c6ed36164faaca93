using System.Diagnostics;
using Engine.Kernels.Cpu;
using Engine.Profiling;

namespace Engine.Perf;

/// <summary>What <c>engine bench model</c> runs.</summary>
public sealed record ModelBenchOptions
{
    public string Family { get; init; } = "clipseg";
    public string? Preset { get; init; }
    /// <summary>Input image size in pixels; null = the family's default (CLIPSeg 352, ViT/BiomedCLIP 224).</summary>
    public int? Size { get; init; }
    public int[] Batches { get; init; } = { 1, 8 };
    /// <summary>Also time forward+backward (encoders frozen, and all parameters).</summary>
    public bool Backward { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Timed iterations per case (after one profiled warm-up), cut short by <see cref="BudgetSeconds"/>.</summary>
    public int Iterations { get; init; } = 3;
    /// <summary>Stop timing a case after this many seconds once at least one iteration ran.</summary>
    public double BudgetSeconds { get; init; } = 60;
    /// <summary>Prompt length in tokens (words for BERT); null = a typical short prompt.</summary>
    public int? TextLength { get; init; }
    public int Seed { get; init; }
    /// <summary>Benchmark this model folder (any family) through its forward runner instead of a built-in architecture.</summary>
    public string? ModelDir { get; init; }
    /// <summary>Device the --model folder runs on (cpu, or an ILGPU device; the --family workloads are CPU-only).</summary>
    public Device Device { get; init; } = Device.Cpu;
    /// <summary>Also profile one step after the warm-up and attach its per-kernel table (<see cref="ModelBenchResult.Profile"/>).</summary>
    public bool Profile { get; init; }
    /// <summary>With <see cref="Profile"/>: one row per GEMM/conv/attention shape.</summary>
    public bool ProfileByShape { get; init; }
}

/// <summary>
/// Whole-model timing: builds the full-size architecture with random weights, and per batch size and mode runs one
/// warm-up step under the op profiler (which counts the GEMM/conv/attention FLOPs the step executes), then timed
/// steps alternating with FMA-peak bursts (the machine is shared: the fastest step and the best peak are the least
/// disturbed samples). Reports ms per image, GFLOPS, share of peak, the ratio to the FLOP lower bound, peak memory
/// (GC heap and working set), allocation volume and GC pauses per step.
/// </summary>
public static class ModelBench
{
    public static IEnumerable<ModelBenchResult> Run(ModelBenchOptions o, Action<string>? log = null)
    {
        int savedThreads = KernelThreading.MaxThreads;
        KernelThreading.MaxThreads = o.Threads;
        try
        {
            log?.Invoke($"measuring the FMA peak ({o.Threads} threads) ...");
            var peak = new double[] { FmaPeak.MeasureGflops(o.Threads, repeats: 3, iterations: 5_000_000) };
            log?.Invoke($"building {o.Family} with random weights ...");
            var workload = ModelWorkloads.Build(o, log);
            log?.Invoke($"{workload.Family} {workload.Preset}: {(workload.Parameters >= 0 ? workload.Parameters.ToString("N0") + " parameters, " : "")}{workload.Size}x{workload.Size} inputs");
            foreach (int b in o.Batches)
                foreach (var c in workload.CasesFor(b))
                {
                    ModelBenchResult? r = null;
                    try { r = Time(workload, c, o, peak, log); }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
                    {
                        // e.g. CRIS's training-mode BatchNorm1d needs at least two samples: report and go on.
                        log?.Invoke($"batch {b} {c.Mode}: failed: {e.Message}");
                        Console.Error.WriteLine($"{workload.Family} batch {b} {c.Mode}: not measured ({e.Message})");
                    }
                    if (r is not null) yield return r;
                }
        }
        finally { KernelThreading.MaxThreads = savedThreads; }
    }

    private static ModelBenchResult Time(ModelWorkload w, ModelBenchCase c, ModelBenchOptions o, double[] peak, Action<string>? log)
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        using var memory = new ModelMemorySampler();
        log?.Invoke($"batch {c.Batch} {c.Mode}: warm-up (profiled, counts FLOPs) ...");
        var (flops, convShare) = CountFlops(c.Step);
        ModelProfile? profile = null;
        if (o.Profile)
        {
            OpProfiler.ByShape = o.ProfileByShape;
            OpProfiler.Reset(); OpProfiler.Start();
            var sw0 = Stopwatch.StartNew();
            try { c.Step(); } finally { OpProfiler.Stop(); OpProfiler.ByShape = false; }
            double ms = sw0.Elapsed.TotalMilliseconds;
            profile = new ModelProfile(w.Family, c.Mode, c.Batch, w.Size, 1, ms, ms, OpProfiler.Snapshot(), 0, 0);
            OpProfiler.Reset();
        }
        var times = new List<double>();
        var paired = new List<double>(); // each step against the FMA burst right after it (the same minute's machine)
        long alloc = 0; TimeSpan pauses = TimeSpan.Zero;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < Math.Max(1, o.Iterations); i++)
        {
            if (i > 0 && total.Elapsed.TotalSeconds > o.BudgetSeconds) break;
            long a0 = GC.GetTotalAllocatedBytes(false); var p0 = GC.GetTotalPauseDuration();
            var sw = Stopwatch.StartNew();
            c.Step();
            times.Add(sw.Elapsed.TotalMilliseconds);
            alloc += GC.GetTotalAllocatedBytes(false) - a0; pauses += GC.GetTotalPauseDuration() - p0;
            log?.Invoke($"batch {c.Batch} {c.Mode}: step {i + 1} {times[^1]:F0} ms");
            double burst = FmaPeak.Burst(o.Threads, Math.Clamp(times[^1] / 4, 50, 400));
            peak[0] = Math.Max(peak[0], burst);
            if (flops > 0) paired.Add(times[^1] / (flops / 1e9 / burst * 1000.0));
        }
        times.Sort();
        int n = times.Count;
        paired.Sort();
        return new ModelBenchResult(w.Family, w.Preset, w.Size, c, o.Threads, times[0], times[n / 2], flops / 1e9, peak[0],
            memory.PeakGcMb, memory.PeakWorkingSetMb, alloc / 1048576.0 / n, pauses.TotalMilliseconds / n)
        { ConvShare = convShare, Profile = profile, PairedBoundRatio = paired.Count > 0 ? paired[paired.Count / 2] : 0 };
    }

    /// <summary>Runs <paramref name="step"/> once under the op profiler; returns the FLOPs its kernels executed and
    /// the share of kernel time spent in convolutions.</summary>
    public static (double Flops, double ConvShare) CountFlops(Action step)
    {
        bool was = OpProfiler.IsEnabled;
        OpProfiler.Reset();
        OpProfiler.Start();
        try { step(); }
        finally { if (!was) OpProfiler.Stop(); }
        var stats = OpProfiler.Snapshot();
        OpProfiler.Reset();
        double total = stats.Sum(s => s.TotalMs), conv = stats.Where(s => s.Name.StartsWith("conv", StringComparison.Ordinal)).Sum(s => s.TotalMs);
        return (stats.Sum(s => s.Flops), total > 0 ? conv / total : 0);
    }
}
