using Engine.Backends.Ilgpu;
using Engine.Models.Loading;
using Xunit;
using Xunit.Abstractions;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>
/// Every golden model run on the ILGPU backend (CPU accelerator: the GPU kernels, simulated) instead of the CPU
/// backend, so CI exercises the GPU kernel path of whole models without a GPU. Compares the model outputs present in
/// each golden outputs.safetensors (intermediates are covered on the CPU backend) with the same tolerances:
/// max|diff| &lt;= 1e-4 max|ref| + 1e-6.
/// </summary>
public sealed class IlgpuConformanceTests
{
    private readonly ITestOutputHelper _log;
    public IlgpuConformanceTests(ITestOutputHelper log) { _log = log; IlgpuBackend.Register(); }

    [Theory]
    [InlineData("clipseg_tiny_refined")]
    [InlineData("clip_text_tiny")]
    [InlineData("clip_vision_tiny")]
    [InlineData("bert_tiny")]
    [InlineData("biomedclip_tiny")]
    [InlineData("cris_tiny")]
    public void Golden_outputs_match_on_ilgpu_cpu(string caseName)
    {
        var dir = Golden(caseName);
        var folder = ModelFolder.Open(dir);
        var family = ModelFamilies.Detect(folder);
        using var runner = family.OpenForwardRunner(folder, Device.IlgpuCpu);
        var result = runner.Run(Read(dir, "inputs.safetensors"), new ForwardOptions());
        var golden = Read(dir, "outputs.safetensors");
        int compared = 0;
        foreach (var (name, reference) in golden.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            if (reference.DType != DType.F32 || !result.Outputs.TryGetValue(name, out var ours)) continue;
            double r = AssertClose(name, ours.To(Device.Cpu), reference, 1e-4, 1e-6);
            _log.WriteLine($"{caseName}/{name}: max|diff|/max|ref| {r:E2}");
            compared++;
        }
        Assert.True(compared > 0, $"no output of {caseName} was compared (outputs: {string.Join(", ", result.Outputs.Keys)})");
    }
}

/// <summary>Inference packing is a CPU matter: on another device it must not stack (copy) the weights it cannot pack.</summary>
public sealed class PackingOffTheCpuTests
{
    public PackingOffTheCpuTests() { IlgpuBackend.Register(); }

    [Fact]
    public void Packing_q_k_v_on_an_ilgpu_device_copies_nothing()
    {
        var layers = new[] { new Engine.Nn.Linear(16, 8), new Engine.Nn.Linear(16, 8), new Engine.Nn.Linear(16, 8) };
        foreach (var l in layers) l.To(Device.IlgpuCpu);
        var packed = new Engine.Nn.PackedLinears(layers);
        Engine.Profiling.OpProfiler.Reset();
        Engine.Profiling.OpProfiler.Start();
        try { packed.Pack(); packed.Pack(); }
        finally { Engine.Profiling.OpProfiler.Stop(); }
        var ops = Engine.Profiling.OpProfiler.Snapshot();
        Assert.True(ops.Count == 0, $"packing on {Device.IlgpuCpu} ran: {string.Join(", ", ops.Select(o => $"{o.Name} x{o.Calls}"))}");
        using (Tensor.NoGrad())
            Assert.Null(packed.TryForward(Tensor.Zeros(DType.F32, Device.IlgpuCpu, 12, 16)));
    }
}
