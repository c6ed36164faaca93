namespace Engine.Kernels.Cpu;

/// <summary>How many threads the CPU kernels may use, and the one place their parallel regions run (on
/// <see cref="KernelWorkerPool"/>'s persistent workers). Defaults to the processor count; benchmarks and hosts that
/// run several inferences side by side lower it.</summary>
public static class KernelThreading
{
    private static int _maxThreads = Environment.ProcessorCount;
    private static KernelWorkerPool? _pool;
    private static readonly object Gate = new();

    /// <summary>Upper bound on threads per kernel call (>= 1), the caller included.</summary>
    public static int MaxThreads
    {
        get => _maxThreads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "MaxThreads must be >= 1.");
            lock (Gate)
            {
                if (value == _maxThreads) return;
                _maxThreads = value;
                _pool?.Dispose();
                _pool = null;
            }
        }
    }

    /// <summary>Runs body(0..count-1), spread over up to <see cref="MaxThreads"/> threads; inline when count or
    /// MaxThreads is 1 so small calls pay no scheduling cost. Items are handed out dynamically (a thread the OS delays
    /// takes fewer). The first exception an item throws is rethrown once all items have finished.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 1 || _maxThreads == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        var pool = _pool ?? CreatePool();
        pool.Run(count, body);
    }

    private static KernelWorkerPool CreatePool()
    {
        lock (Gate) return _pool ??= new KernelWorkerPool(_maxThreads - 1);
    }
}
