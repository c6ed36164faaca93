using System.Diagnostics;
using Engine.Kernels.Gpu;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Kernels.Gpu.Tests;

/// <summary>Every kernel must compile to PTX for sm_80 without a GPU, and call no external function (an
/// `.extern .func` would be an unresolved libdevice/math call that fails when the module loads on a real GPU).</summary>
public sealed class PtxCompileTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryKernelCompilesToSelfContainedPtx()
    {
        Assert.True(KernelCatalog.All.Count >= 2, "kernel catalog is empty");
        var sw = Stopwatch.StartNew();
        var results = KernelCatalog.CompileAllToPtx();
        sw.Stop();
        Assert.Equal(KernelCatalog.All.Count, results.Count);
        var bad = results.Where(r => r.Ptx.Contains(".extern .func")).Select(r => r.Name).ToList();
        Assert.True(bad.Count == 0, "PTX with .extern .func: " + string.Join(", ", bad));
        foreach (var r in results) Assert.Contains(".entry", r.Ptx);
        var tc = results.Single(r => r.Name == "GemmTensorCore.Kernel").Ptx;
        Assert.Contains("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", tc);
        Assert.Contains("cvt.rna.tf32.f32", tc);
        Assert.Contains(".target sm_80", tc);
        output.WriteLine($"{results.Count} kernels compiled to PTX in {sw.Elapsed.TotalMilliseconds:F0} ms (slowest {results.MaxBy(r => r.Milliseconds)!.Name} {results.Max(r => r.Milliseconds):F0} ms)");
        Assert.True(sw.Elapsed.TotalSeconds < 60, $"PTX compilation took {sw.Elapsed.TotalSeconds:F1} s");
    }
}
