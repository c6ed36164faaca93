using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Persistent worker threads for the CPU kernels. A model step issues hundreds of parallel regions back to back (a
/// GEMM, a layer norm, a bias add ...), each lasting tens of microseconds to a few milliseconds. Handing each to the
/// .NET thread pool means waking a sleeping pool thread every time, which on a virtual machine costs tens to hundreds
/// of microseconds per region. These workers instead spin for a short while after each region (so the next one starts
/// at once) and only then block, so an idle process does not burn CPU.
/// One region runs at a time: a region started from inside another (nested) or while another thread's region runs
/// executes inline on the calling thread, which is correct and keeps concurrent callers from oversubscribing cores.
/// </summary>
internal sealed class KernelWorkerPool : IDisposable
{
    /// <summary>How long an idle worker spins for the next region before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000; // 1 ms

    /// <summary>One region: immutable body and count; items are claimed from <see cref="Next"/>. A worker still holding
    /// an old job can only claim past its end, so a straggler never runs items of a newer region.</summary>
    private sealed class Job(Action<int> body, int count)
    {
        public readonly Action<int> Body = body;
        public readonly int Count = count;
        public int Next;
        public int Pending = count;
        public Exception? Error;
    }

    [ThreadStatic] private static bool _inRegion;

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _wake = new(0);
    private Job? _job;
    private int _sleepers;
    private int _busy;
    private volatile bool _disposed;

    /// <param name="workers">Threads besides the caller (the caller always takes part in its region).</param>
    public KernelWorkerPool(int workers)
    {
        Workers = workers;
        _threads = new Thread[workers];
        for (int i = 0; i < workers; i++)
        {
            _threads[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"engine-kernel-{i + 1}" };
            _threads[i].Start();
        }
    }

    public int Workers { get; }

    /// <summary>Runs body(0..count-1) on the workers and the calling thread; returns when all items are done and
    /// rethrows the first exception an item threw. Runs inline when nested or when another region is active.</summary>
    public void Run(int count, Action<int> body)
    {
        if (_inRegion || _disposed || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        var job = new Job(body, count);
        try
        {
            Volatile.Write(ref _job, job);
            int sleepers = Volatile.Read(ref _sleepers);
            if (sleepers > 0) _wake.Release(Math.Min(sleepers, Math.Min(Workers, count - 1)));
            _inRegion = true;
            Work(job);
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
        }
        finally
        {
            Volatile.Write(ref _job, null); // drop the body (and what it captured) once the region is over
            _inRegion = false;
            Volatile.Write(ref _busy, 0);
        }
        if (job.Error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
    }

    private static void Work(Job job)
    {
        int i;
        while ((i = Interlocked.Increment(ref job.Next) - 1) < job.Count)
        {
            try { job.Body(i); }
            catch (Exception e) { Interlocked.CompareExchange(ref job.Error, e, null); }
            Interlocked.Decrement(ref job.Pending);
        }
    }

    private void WorkerLoop()
    {
        _inRegion = true; // a kernel body that starts a region from a worker runs it inline
        Job? seen = null;
        while (!_disposed)
        {
            var job = Volatile.Read(ref _job);
            if (job != seen)
            {
                seen = job;
                if (job is not null) Work(job);
                continue;
            }
            long start = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (Volatile.Read(ref _job) == seen && !_disposed && Stopwatch.GetTimestamp() - start < SpinTicks)
                spin.SpinOnce(sleep1Threshold: -1);
            if (Volatile.Read(ref _job) != seen || _disposed) continue;
            // Idle: block until a region starts (re-checked after announcing, so a region published meanwhile is seen).
            Interlocked.Increment(ref _sleepers);
            if (Volatile.Read(ref _job) == seen && !_disposed) _wake.Wait();
            Interlocked.Decrement(ref _sleepers);
        }
    }

    /// <summary>Lets the worker threads exit (they are background threads; a region in flight completes first).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wake.Release(Workers);
    }
}
