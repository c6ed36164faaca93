using System.Diagnostics;

namespace Engine.Perf;

/// <summary>Best-of timing against the FMA peak. The machine is shared, so a kernel run and a peak run are
/// interleaved round by round with the peak burst as long as one kernel run: both face the same interference and
/// the best of each is the least disturbed one.</summary>
public static class BenchTiming
{
    /// <summary>Runs `action` once to warm up, then alternates kernel runs and equally long FMA-peak bursts for about
    /// `budgetSeconds`. Returns the fastest kernel run (ms) and the best peak (GFLOPS) over the same period.</summary>
    public static (double BestMs, double PeakGflops) BestAgainstPeak(Action action, int threads, double budgetSeconds = 3, int minRounds = 5)
    {
        action();
        var first = Stopwatch.StartNew();
        action();
        double estimateMs = first.Elapsed.TotalMilliseconds;
        double best = estimateMs, peak = 0;
        var total = Stopwatch.StartNew();
        for (int round = 0; round < minRounds || total.Elapsed.TotalSeconds < budgetSeconds; round++)
        {
            // Several kernel runs per round when it is short, so one round costs at least ~20 ms.
            int runs = Math.Max(1, (int)(20 / Math.Max(estimateMs, 0.01)));
            for (int r = 0; r < Math.Min(runs, 200); r++)
            {
                var sw = Stopwatch.StartNew();
                action();
                best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            }
            peak = Math.Max(peak, FmaPeak.Burst(threads, Math.Clamp(best, 2, 200)));
            if (round > 500) break;
        }
        return (best, peak);
    }
}
