using System.Diagnostics;

namespace Engine.Profiling;

/// <summary>One row of a profile: a kernel (backend call) in one phase, with its call count, time and work.</summary>
/// <param name="Name">kernel name, e.g. "gemm", "unary.gelu", "copy.strided", "attention.fwd".</param>
/// <param name="Phase">"forward" or "backward" (the autograd sweep), or another label set with <see cref="OpProfiler.Phase"/>.</param>
/// <param name="Flops">floating-point operations of the math (2 per multiply-add), counted for GEMM, convolution and attention only.</param>
/// <param name="Bytes">bytes read plus written (elementwise-class kernels; an estimate of the minimum traffic).</param>
public sealed record OpStat(string Name, string Phase, long Calls, double TotalMs, double Flops, double Bytes)
{
    public double MeanMs => Calls == 0 ? 0 : TotalMs / Calls;
    public double Gflops => TotalMs > 0 ? Flops / (TotalMs * 1e6) : 0;
    public double GBps => TotalMs > 0 ? Bytes / (TotalMs * 1e6) : 0;
}

/// <summary>
/// Opt-in per-kernel timer. While <see cref="IsEnabled"/>, <see cref="Backends.BackendRegistry.Get"/> hands out a
/// <see cref="ProfilingBackend"/> wrapper that times every backend call (CPU or GPU) and attributes it to the
/// current <see cref="Phase"/>; the autograd sweep labels its kernels "backward". When off, the only cost is one
/// static flag test per backend lookup. The wrapper synchronises an asynchronous (GPU) backend after each call,
/// so its rows are kernel times (and a profiled GPU step is slower than an unprofiled one).
/// </summary>
public static class OpProfiler
{
    private static volatile bool _enabled;
    private static bool _shapes;
    private static readonly object Gate = new();
    private static readonly Dictionary<(string name, string phase), Acc> Stats = new();
    [ThreadStatic] private static string? _phase;

    private sealed class Acc { public long Calls; public long Ticks; public double Flops; public double Bytes; }

    public static bool IsEnabled => _enabled;

    /// <summary>Split GEMM/conv/attention rows by shape (e.g. "gemm 197x2304x768 NT") instead of one row per kernel.</summary>
    public static bool ByShape { get => _shapes; set => _shapes = value; }

    /// <summary>Starts collecting (keeps what was collected so far; see <see cref="Reset"/>).</summary>
    public static void Start() => _enabled = true;

    public static void Stop() => _enabled = false;

    public static void Reset() { lock (Gate) Stats.Clear(); }

    /// <summary>Label for kernels run on this thread until the scope ends (nested scopes restore the outer label).</summary>
    public static IDisposable Phase(string name)
    {
        var outer = _phase;
        _phase = name;
        return new PhaseScope(outer);
    }

    /// <summary>The current thread's phase label ("forward" unless a scope says otherwise).</summary>
    public static string CurrentPhase => _phase ?? "forward";

    private sealed class PhaseScope(string? outer) : IDisposable
    {
        private bool _done;
        public void Dispose() { if (!_done) { _done = true; _phase = outer; } }
    }

    /// <summary>Everything collected since the last <see cref="Reset"/>, slowest first.</summary>
    public static IReadOnlyList<OpStat> Snapshot()
    {
        lock (Gate)
            return Stats.Select(kv => new OpStat(kv.Key.name, kv.Key.phase, kv.Value.Calls, kv.Value.Ticks * 1000.0 / Stopwatch.Frequency, kv.Value.Flops, kv.Value.Bytes))
                        .OrderByDescending(s => s.TotalMs).ToList();
    }

    /// <summary>Adds one call that started at <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>) and ends now.</summary>
    public static void Record(string name, long startTimestamp, double flops = 0, double bytes = 0)
    {
        long ticks = Stopwatch.GetTimestamp() - startTimestamp;
        var key = (name, CurrentPhase);
        lock (Gate)
        {
            if (!Stats.TryGetValue(key, out var a)) Stats[key] = a = new Acc();
            a.Calls++; a.Ticks += ticks; a.Flops += flops; a.Bytes += bytes;
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Backends.IBackend, ProfilingBackend> Wrappers = new();

    /// <summary>The timing wrapper of a backend (one per backend instance).</summary>
    public static Backends.IBackend Wrap(Backends.IBackend inner)
        => inner is ProfilingBackend ? inner : Wrappers.GetValue(inner, b => new ProfilingBackend(b));
}
