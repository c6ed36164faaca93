using System.Diagnostics;
using Engine.Kernels.Cpu;
using Engine.Profiling;

namespace Engine.Perf;

/// <summary>What <c>engine profile</c> runs.</summary>
public sealed record ModelProfileOptions
{
    public required string ModelDir { get; init; }
    public Device Device { get; init; } = Device.Cpu;
    public int Batch { get; init; } = 1;
    /// <summary>Forward + backward of the family's loss (random 0/1 labels) instead of inference.</summary>
    public bool Train { get; init; }
    /// <summary>Training with the encoders frozen (flag "freeze-encoders": CLIPSeg/BiomedCLIPSeg decoder-only training).</summary>
    public bool FreezeEncoders { get; init; }
    public int Steps { get; init; } = 3;
    public int Warmup { get; init; } = 1;
    /// <summary>Image size; null = the folder's preprocessing size.</summary>
    public int? Size { get; init; }
    public string Prompt { get; init; } = "a round polyp in the lower left of the colon";
    /// <summary>One row per GEMM/conv/attention shape instead of per kernel.</summary>
    public bool ByShape { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>Per-kernel profile of a few steps of a model folder (see <see cref="ModelProfiler.Run"/>).</summary>
public sealed record ModelProfile(string Family, string Mode, int Batch, int Size, int Steps, double MeanStepMs, double BestStepMs,
    IReadOnlyList<OpStat> Ops, double AllocMbPerStep, double GcPauseMsPerStep)
{
    public double KernelMsPerStep => Ops.Sum(o => o.TotalMs) / Steps;
    public double GflopPerStep => Ops.Sum(o => o.Flops) / Steps / 1e9;
}

/// <summary>
/// Profiles a few steps of any model folder (see <see cref="ModelFolderWorkload"/> for the inputs) with
/// <see cref="OpProfiler"/>: inference under NoGrad, or (train) the family's loss against random 0/1 labels with
/// backward through the network.
/// </summary>
public static class ModelProfiler
{
    public static ModelProfile Run(ModelProfileOptions o, Action<string>? log = null)
    {
        if (o.Batch < 1 || o.Steps < 1 || o.Warmup < 0) throw new ArgumentException("--batch and --steps must be positive, --warmup non-negative.");
        int savedThreads = KernelThreading.MaxThreads;
        KernelThreading.MaxThreads = o.Threads;
        try
        {
            using var w = new ModelFolderWorkload(o.ModelDir, o.Device, o.Size, log) { Prompt = o.Prompt };
            var flags = new HashSet<string>(StringComparer.Ordinal);
            if (o.FreezeEncoders) flags.Add("freeze-encoders");
            var inputs = w.Inputs(o.Batch, o.Train, flags);
            for (int i = 0; i < o.Warmup; i++)
            {
                log?.Invoke($"warm-up step {i + 1} ...");
                w.Step(inputs, o.Train, flags);
            }
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            OpProfiler.ByShape = o.ByShape;
            OpProfiler.Reset();
            var times = new List<double>();
            long alloc = 0; var pauses = TimeSpan.Zero;
            OpProfiler.Start();
            try
            {
                for (int i = 0; i < o.Steps; i++)
                {
                    long a0 = GC.GetTotalAllocatedBytes(false); var p0 = GC.GetTotalPauseDuration();
                    var sw = Stopwatch.StartNew();
                    w.Step(inputs, o.Train, flags);
                    times.Add(sw.Elapsed.TotalMilliseconds);
                    alloc += GC.GetTotalAllocatedBytes(false) - a0; pauses += GC.GetTotalPauseDuration() - p0;
                    log?.Invoke($"step {i + 1}: {times[^1]:F0} ms");
                }
            }
            finally { OpProfiler.Stop(); }
            var ops = OpProfiler.Snapshot();
            OpProfiler.Reset();
            string mode = o.Train ? (o.FreezeEncoders ? "fwd+bwd (encoders frozen)" : "fwd+bwd") : "forward";
            return new ModelProfile(w.Family.Name, mode, o.Batch, w.Size, o.Steps, times.Average(), times.Min(), ops, alloc / 1048576.0 / o.Steps, pauses.TotalMilliseconds / o.Steps);
        }
        finally { KernelThreading.MaxThreads = savedThreads; }
    }
}
