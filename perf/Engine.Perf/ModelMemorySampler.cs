namespace Engine.Perf;

/// <summary>Samples the managed heap size and the process working set every few milliseconds on a background thread
/// and keeps the maxima (tensor buffers are managed arrays, so the GC heap is where activations live).</summary>
public sealed class ModelMemorySampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peakGc, _peakWs;

    public ModelMemorySampler(int intervalMs = 2)
    {
        Sample();
        _thread = new Thread(() =>
        {
            while (!_stop) { Sample(); Thread.Sleep(intervalMs); }
        }) { IsBackground = true, Name = "memory sampler" };
        _thread.Start();
    }

    public double PeakGcMb => Interlocked.Read(ref _peakGc) / 1048576.0;
    public double PeakWorkingSetMb => Interlocked.Read(ref _peakWs) / 1048576.0;

    /// <summary>Restarts the maxima from the current values.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _peakGc, 0);
        Interlocked.Exchange(ref _peakWs, 0);
        Sample();
    }

    private void Sample()
    {
        long gc = GC.GetTotalMemory(false), ws = Environment.WorkingSet;
        long cur;
        while ((cur = Interlocked.Read(ref _peakGc)) < gc && Interlocked.CompareExchange(ref _peakGc, gc, cur) != cur) { }
        while ((cur = Interlocked.Read(ref _peakWs)) < ws && Interlocked.CompareExchange(ref _peakWs, ws, cur) != cur) { }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
