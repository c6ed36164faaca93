using System.Diagnostics;

namespace Engine.Perf.OnnxPeer;

/// <summary>Best and median milliseconds of one side.</summary>
internal sealed record SideTiming(double BestMs, double MedianMs, IReadOnlyList<double> RunsMs);

/// <summary>
/// Times two implementations of the same step alternately (A, B, A, B, ...): the machine is shared, so both face the
/// same load over the same period, and the best of each is its least disturbed run. A short untimed pause before every
/// run lets the other side's spinning worker threads (ONNX Runtime's pool, .NET's Parallel.For workers) go idle first.
/// </summary>
internal static class InterleavedTiming
{
    /// <summary>One side of the comparison and the untimed pause before each of its runs.</summary>
    public sealed record Side(Action Step, TimeSpan PauseBefore);

    /// <param name="afterRound">untimed work after each round (the FMA-peak samples that share the same period).</param>
    public static SideTiming[] Run(IReadOnlyList<Side> sides, int warmup, int rounds, Action? afterRound = null, Action<string>? log = null)
    {
        for (int i = 0; i < warmup; i++) foreach (var side in sides) side.Step();
        var times = sides.Select(_ => new List<double>(rounds)).ToArray();
        for (int r = 0; r < rounds; r++)
        {
            for (int s = 0; s < sides.Count; s++) times[s].Add(TimeOnce(sides[s].Step, sides[s].PauseBefore));
            log?.Invoke($"round {r + 1}/{rounds}: " + string.Join(" vs ", times.Select(t => $"{t[^1]:F1} ms")));
            afterRound?.Invoke();
        }
        return times.Select(Summarise).ToArray();
    }

    private static double TimeOnce(Action step, TimeSpan pause)
    {
        Thread.Sleep(pause);
        var sw = Stopwatch.StartNew();
        step();
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>Median over rounds of ours[r] / theirs[r]: each ratio compares two runs a fraction of a second apart,
    /// so slow drifts in the machine's speed cancel, and each side gets the same number of samples (the best of two
    /// configurations against the best of one would favour the pair by chance alone on a noisy machine).</summary>
    public static double PairedMedianRatio(IReadOnlyList<double> ours, IReadOnlyList<double> theirs)
    {
        if (ours.Count != theirs.Count || ours.Count == 0) throw new ArgumentException("paired ratio needs the same, non-zero number of rounds on both sides.");
        return Median(ours.Zip(theirs, (a, b) => a / b).OrderBy(x => x).ToArray());
    }

    private static double Median(double[] sorted)
    {
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static SideTiming Summarise(List<double> runs)
    {
        var sorted = runs.OrderBy(x => x).ToArray();
        return new SideTiming(sorted[0], Median(sorted), runs);
    }
}
