namespace Engine.Backends;

/// <summary>Maps a device to its backend. The CPU backend is always present; others register at start-up
/// (e.g. Engine.Backends.Ilgpu registers cuda and ilgpu-cpu).</summary>
public static class BackendRegistry
{
    private static readonly Dictionary<DeviceKind, Func<Device, IBackend>> Factories = new();
    private static readonly Dictionary<Device, IBackend> Instances = new();
    private static readonly Dictionary<DeviceKind, string> Unavailable = new();
    private static readonly object Gate = new();

    public static void Register(DeviceKind kind, Func<Device, IBackend> factory)
    {
        lock (Gate) Factories[kind] = factory;
    }

    /// <summary>Records why a device kind could not be registered (e.g. the CUDA driver failed to load), so that a
    /// request for it names the cause instead of a generic "not available".</summary>
    public static void MarkUnavailable(DeviceKind kind, string reason)
    {
        lock (Gate) Unavailable[kind] = reason;
    }

    public static bool IsAvailable(DeviceKind kind) { lock (Gate) return kind == DeviceKind.Cpu || Factories.ContainsKey(kind); }

    /// <summary>The backend of a device; while <see cref="Profiling.OpProfiler"/> is on, its timing wrapper.</summary>
    public static IBackend Get(Device device)
    {
        var b = GetRaw(device);
        return Profiling.OpProfiler.IsEnabled ? Profiling.OpProfiler.Wrap(b) : b;
    }

    private static IBackend GetRaw(Device device)
    {
        if (device.Kind == DeviceKind.Cpu) return CpuBackend.Instance;
        lock (Gate)
        {
            if (Instances.TryGetValue(device, out var b)) return b;
            if (!Factories.TryGetValue(device.Kind, out var f))
                throw new InvalidOperationException(Unavailable.TryGetValue(device.Kind, out var why)
                    ? $"Device '{device}' is not available here: {why}"
                    : $"No backend for device '{device}' is available in this process (is Engine.Backends.Ilgpu loaded and a GPU present?).");
            b = f(device);
            Instances[device] = b;
            return b;
        }
    }

    /// <summary>Copies a contiguous range between storages, possibly across devices (through the host).</summary>
    public static void Copy(Storage src, long srcOffset, Storage dst, long dstOffset, long count)
    {
        if (src.DType != dst.DType) throw new ArgumentException($"Copy between {src.DType} and {dst.DType}.");
        if (src.Device == dst.Device)
        {
            Get(src.Device).CopyStrided(src, srcOffset, new long[] { 1 }, new[] { (int)count }, dst, dstOffset, new long[] { 1 });
            return;
        }
        if (src.DType != DType.F32) throw new NotSupportedException($"Only float32 tensors move between devices ({src.DType} stays on the CPU).");
        var host = new float[count];
        Get(src.Device).Download(src, srcOffset, host);
        Get(dst.Device).Upload(host, dst, dstOffset);
    }
}
