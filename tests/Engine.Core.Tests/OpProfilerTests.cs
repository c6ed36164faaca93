using Engine.Backends;
using Engine.Profiling;
using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class OpProfilerTests
{
    [Fact]
    public void CountsKernelsWorkAndPhases()
    {
        Assert.Same(CpuBackend.Instance, BackendRegistry.Get(Device.Cpu)); // off: the raw backend, nothing in between
        // Odd sizes make this test's rows unique even if other tests run kernels while the profiler is on.
        var x = RandGrad(1, 29, 53); var w = RandGrad(2, 31, 53);
        OpProfiler.ByShape = true;
        OpProfiler.Start();
        try
        {
            Assert.IsType<ProfilingBackend>(BackendRegistry.Get(Device.Cpu));
            var y = Ops.Linear(x, w);
            Ops.Sum(Ops.QuickGelu(y)).Backward();
        }
        finally { OpProfiler.Stop(); OpProfiler.ByShape = false; }
        var stats = OpProfiler.Snapshot();
        var fwd = stats.Single(s => s.Name == "gemm 29x31x53 NT" && s.Phase == "forward");
        Assert.Equal(1, fwd.Calls);
        Assert.Equal(2.0 * 29 * 31 * 53, fwd.Flops);
        Assert.True(fwd.TotalMs >= 0);
        Assert.Contains(stats, s => s.Name == "unary.quickgelu" && s.Phase == "forward");
        Assert.Contains(stats, s => s.Name == "unary_grad.quickgelu" && s.Phase == "backward");
        Assert.Contains(stats, s => s.Name == "gemm_batched 1x29x53x31 NN" && s.Phase == "backward");   // dX = dY W
        Assert.Contains(stats, s => s.Name == "gemm_batched 1x31x53x29 TN" && s.Phase == "backward");   // dW = dY^T X
        Assert.Same(CpuBackend.Instance, BackendRegistry.Get(Device.Cpu));
    }
}
