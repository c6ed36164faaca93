namespace Engine.Kernels.Cpu;

/// <summary>How many threads the CPU kernels may use. Defaults to the processor count; benchmarks and hosts that
/// run several inferences side by side lower it.</summary>
public static class KernelThreading
{
    private static int _maxThreads = Environment.ProcessorCount;

    /// <summary>Upper bound on worker threads per kernel call (>= 1).</summary>
    public static int MaxThreads
    {
        get => _maxThreads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "MaxThreads must be >= 1.");
            _maxThreads = value;
            _options = null;
        }
    }

    private static ParallelOptions? _options;

    /// <summary>Runs body(0..count-1); inline when count is 1 so small calls pay no scheduling cost.</summary>
    internal static void For(int count, Action<int> body)
    {
        if (count <= 1) { if (count == 1) body(0); return; }
        // The loop never has more iterations than MaxThreads, so one cached options object serves every call.
        var options = _options ??= new ParallelOptions { MaxDegreeOfParallelism = MaxThreads };
        Parallel.For(0, count, options, body);
    }
}
