using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Perf;

/// <summary>Measures the machine's FP32 fused-multiply-add throughput: every thread runs 12 independent vector FMA
/// chains (enough to cover FMA latency x ports on current x86 cores), all threads at once. The result is the ceiling
/// the kernel benchmarks are reported against.</summary>
public static class FmaPeak
{
    private const int Chains = 12;
    private static float _sink;

    /// <summary>Best-of-`repeats` GFLOPS with `threads` concurrent threads, each running `iterations` loop trips.</summary>
    public static double MeasureGflops(int threads, int repeats = 5, long iterations = 20_000_000)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be >= 1");
        bool wide = Vector512.IsHardwareAccelerated;
        int lanes = wide ? Vector512<float>.Count : Vector256<float>.Count;
        RunOnThreads(threads, wide, iterations / 20); // warm up JIT and clocks
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            double seconds = RunOnThreads(threads, wide, iterations);
            double flops = 2.0 * lanes * Chains * iterations * threads;
            best = Math.Max(best, flops / seconds / 1e9);
        }
        return best;
    }

    /// <summary>One measurement lasting about `milliseconds` (calibrated against the 1-thread rate seen so far).</summary>
    public static double Burst(int threads, double milliseconds)
    {
        bool wide = Vector512.IsHardwareAccelerated;
        int lanes = wide ? Vector512<float>.Count : Vector256<float>.Count;
        if (_itersPerMs == 0)
        {
            RunOnThreads(1, wide, 100_000); // JIT
            _itersPerMs = 200_000 / (RunOnThreads(1, wide, 200_000) * 1000);
        }
        long iterations = Math.Max(10_000, (long)(_itersPerMs * milliseconds));
        double seconds = RunOnThreads(threads, wide, iterations);
        _itersPerMs = Math.Max(_itersPerMs, iterations / (seconds * 1000));
        return 2.0 * lanes * Chains * iterations * threads / seconds / 1e9;
    }

    private static double _itersPerMs;

    /// <summary>Runs the chains on `threads` new threads released together; returns seconds from the first start to
    /// the last finish, timed inside the workers (a short burst can finish before the releasing thread looks).</summary>
    private static double RunOnThreads(int threads, bool wide, long iterations)
    {
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        var begin = new long[threads];
        var end = new long[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                begin[id] = Stopwatch.GetTimestamp();
                float s = wide ? Chains512(iterations) : Chains256(iterations);
                end[id] = Stopwatch.GetTimestamp();
                _sink += s;
            }) { IsBackground = true };
            workers[t].Start();
        }
        foreach (var w in workers) w.Join();
        return (end.Max() - begin.Min()) / (double)Stopwatch.Frequency;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(long iterations)
    {
        // acc = acc * m + d converges to a fixed point, so values stay finite however long it runs.
        var m = Vector256.Create(0.999f);
        var d = Vector256.Create(0.001f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        Vector256<float> a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, d); a1 = Vector256.FusedMultiplyAdd(a1, m, d);
            a2 = Vector256.FusedMultiplyAdd(a2, m, d); a3 = Vector256.FusedMultiplyAdd(a3, m, d);
            a4 = Vector256.FusedMultiplyAdd(a4, m, d); a5 = Vector256.FusedMultiplyAdd(a5, m, d);
            a6 = Vector256.FusedMultiplyAdd(a6, m, d); a7 = Vector256.FusedMultiplyAdd(a7, m, d);
            a8 = Vector256.FusedMultiplyAdd(a8, m, d); a9 = Vector256.FusedMultiplyAdd(a9, m, d);
            a10 = Vector256.FusedMultiplyAdd(a10, m, d); a11 = Vector256.FusedMultiplyAdd(a11, m, d);
        }
        var s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
        return Vector256.Sum(s);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(long iterations)
    {
        var m = Vector512.Create(0.999f);
        var d = Vector512.Create(0.001f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        Vector512<float> a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, d); a1 = Vector512.FusedMultiplyAdd(a1, m, d);
            a2 = Vector512.FusedMultiplyAdd(a2, m, d); a3 = Vector512.FusedMultiplyAdd(a3, m, d);
            a4 = Vector512.FusedMultiplyAdd(a4, m, d); a5 = Vector512.FusedMultiplyAdd(a5, m, d);
            a6 = Vector512.FusedMultiplyAdd(a6, m, d); a7 = Vector512.FusedMultiplyAdd(a7, m, d);
            a8 = Vector512.FusedMultiplyAdd(a8, m, d); a9 = Vector512.FusedMultiplyAdd(a9, m, d);
            a10 = Vector512.FusedMultiplyAdd(a10, m, d); a11 = Vector512.FusedMultiplyAdd(a11, m, d);
        }
        var s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
        return Vector512.Sum(s);
    }
}
