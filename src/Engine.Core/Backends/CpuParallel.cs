using Engine.Kernels.Cpu;

namespace Engine.Backends;

/// <summary>Splits a range over the cores when there is enough work to pay for the hand-off. Runs on the kernels'
/// persistent workers (<see cref="KernelThreading"/>), so it honours <see cref="KernelThreading.MaxThreads"/>.</summary>
internal static class CpuParallel
{
    /// <summary>Work (in rough element-operations) below which a loop stays on the calling thread.</summary>
    public const long SerialThreshold = 1 << 15;

    public static int Workers => KernelThreading.MaxThreads;

    /// <summary>Runs body(start, end) over [0, count) in contiguous chunks; <paramref name="costPerItem"/> scales the
    /// decision (an item may be a whole row).</summary>
    public static void For(long count, long costPerItem, Action<long, long> body)
    {
        if (count <= 0) return;
        long work = count * Math.Max(1, costPerItem);
        int chunks = (int)Math.Min(count, Math.Min(Workers * 4L, Math.Max(1, work / SerialThreshold)));
        if (chunks <= 1) { body(0, count); return; }
        KernelThreading.For(chunks, c =>
        {
            long s = count * c / chunks, e = count * (c + 1) / chunks;
            if (e > s) body(s, e);
        });
    }
}
