namespace Engine;

/// <summary>Where a tensor's storage lives. Kinds map to backends (see <see cref="Backends.BackendRegistry"/>).</summary>
public enum DeviceKind
{
    Cpu,
    Cuda,
    IlgpuCpu,
}

public readonly record struct Device(DeviceKind Kind, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceKind.Cpu);
    public static readonly Device Cuda = new(DeviceKind.Cuda);
    public static readonly Device IlgpuCpu = new(DeviceKind.IlgpuCpu);

    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => Index == 0 ? "cuda" : $"cuda:{Index}",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        _ => Kind.ToString(),
    };

    /// <summary>Parses "cpu", "cuda", "cuda:1", "ilgpu-cpu" and "auto" (CUDA when a CUDA backend is registered and
    /// a GPU opened, else CPU).</summary>
    public static Device Parse(string s)
    {
        var t = s.Trim().ToLowerInvariant();
        if (t == "auto") return Backends.BackendRegistry.IsAvailable(DeviceKind.Cuda) ? Cuda : Cpu;
        if (t == "cpu") return Cpu;
        if (t == "ilgpu-cpu") return IlgpuCpu;
        if (t == "cuda") return Cuda;
        if (t.StartsWith("cuda:") && int.TryParse(t.AsSpan(5), out var i)) return new Device(DeviceKind.Cuda, i);
        throw new ArgumentException($"Unknown device '{s}'. Expected auto, cpu, cuda, cuda:N or ilgpu-cpu.");
    }
}
