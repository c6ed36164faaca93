using System.Diagnostics;

namespace Engine.Perf;

/// <summary>Peak managed heap and peak working set while a benchmark case runs.
/// The working-set peak comes from the operating system's own high-water mark (<see cref="Process.PeakWorkingSet64"/>;
/// on Linux VmHWM, restarted for each case through /proc/self/clear_refs where the kernel allows it), not from
/// polling: reading the working set costs a /proc read, and a thread doing that every few milliseconds preempts one of
/// the kernels' workers on a 2-core machine, which stalls the whole parallel region (measured: ViT-B/16 forward
/// medians 3-5 % slower with a 2 ms poll). The managed heap has no such mark, so it is sampled, cheaply (no system
/// call) and rarely: tensor buffers are managed arrays that live for many milliseconds, so a 20 ms sample still sees
/// the peak of a step.</summary>
public sealed class ModelMemorySampler : IDisposable
{
    private readonly Thread _thread;
    private readonly long _startWorkingSet;
    private volatile bool _stop;
    private long _peakGc;

    public ModelMemorySampler(int intervalMs = 20)
    {
        RestartWorkingSetMark();
        _startWorkingSet = Environment.WorkingSet;
        SampleHeap();
        _thread = new Thread(() =>
        {
            while (!_stop) { SampleHeap(); Thread.Sleep(intervalMs); }
        }) { IsBackground = true, Name = "memory sampler" };
        _thread.Start();
    }

    public double PeakGcMb
    {
        get { SampleHeap(); return Interlocked.Read(ref _peakGc) / 1048576.0; }
    }

    /// <summary>The process's peak working set since this sampler started (since the process started where the
    /// operating system's mark cannot be restarted; never below the working set at the start).</summary>
    public double PeakWorkingSetMb
    {
        get
        {
            using var self = Process.GetCurrentProcess();
            long peak = self.PeakWorkingSet64;
            return Math.Max(peak, Math.Max(_startWorkingSet, Environment.WorkingSet)) / 1048576.0;
        }
    }

    private void SampleHeap()
    {
        long gc = GC.GetTotalMemory(false);
        long cur;
        while ((cur = Interlocked.Read(ref _peakGc)) < gc && Interlocked.CompareExchange(ref _peakGc, gc, cur) != cur) { }
    }

    /// <summary>Linux: writing 5 to /proc/self/clear_refs resets VmHWM to the current resident size. Where that is not
    /// allowed the peak stays the process's lifetime peak (see <see cref="PeakWorkingSetMb"/>).</summary>
    private static void RestartWorkingSetMark()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
