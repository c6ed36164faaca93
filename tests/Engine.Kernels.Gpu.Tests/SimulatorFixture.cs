using Engine.Kernels.Gpu;
using Xunit;

namespace Engine.Kernels.Gpu.Tests;

/// <summary>One CPU-simulated GPU shared by all kernel tests (creating it and loading kernels is the slow part).
/// All tests that launch kernels sit in one collection, so launches never overlap.</summary>
public sealed class SimulatorFixture : IDisposable
{
    public GpuDevice Device { get; } = GpuDevice.CreateCpu();
    public void Dispose() => Device.Dispose();
}

[CollectionDefinition(Name)]
public sealed class SimulatorCollection : ICollectionFixture<SimulatorFixture>
{
    public const string Name = "ilgpu-cpu simulator";
}
