using System.Diagnostics;
using System.Reflection;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Engine.Kernels.Gpu;

/// <summary>Every kernel entry point of this library (methods marked <see cref="GpuKernelAttribute"/>), and an
/// offline PTX compiler for them: no GPU or driver is needed, so CI can prove every kernel compiles for CUDA.</summary>
public static class KernelCatalog
{
    public sealed record Entry(string Name, MethodInfo Method, bool ExplicitlyGrouped);

    public sealed record PtxResult(string Name, string Ptx, double Milliseconds);

    public static IReadOnlyList<Entry> All { get; } = typeof(KernelCatalog).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
        .Select(m => (m, attr: m.GetCustomAttribute<GpuKernelAttribute>()))
        .Where(x => x.attr != null)
        .Select(x => new Entry($"{x.m.DeclaringType!.Name}.{x.m.Name}", x.m, x.attr!.ExplicitlyGrouped))
        .OrderBy(e => e.Name, StringComparer.Ordinal)
        .ToList();

    /// <summary>Compiles each kernel to PTX for <paramref name="architecture"/> (default SM_80, PTX ISA 7.0: what
    /// mma.sync with TF32 needs; Hopper runs it). Throws naming the kernel if one fails to compile.</summary>
    public static IReadOnlyList<PtxResult> CompileAllToPtx(CudaArchitecture? architecture = null, CudaInstructionSet? isa = null, Func<Entry, bool>? filter = null)
    {
        using var context = Context.Create(b => b.Optimize(OptimizationLevel.O2));
        var arch = architecture ?? CudaArchitecture.SM_80;
        using var backend = new PTXBackend(context, new CudaCapabilityContext(arch), arch, isa ?? CudaInstructionSet.ISA_70, null);
        var results = new List<PtxResult>();
        foreach (var e in All)
        {
            if (filter != null && !filter(e)) continue;
            var sw = Stopwatch.StartNew();
            var entry = e.ExplicitlyGrouped
                ? EntryPointDescription.FromExplicitlyGroupedKernel(e.Method)
                : EntryPointDescription.FromImplicitlyGroupedKernel(e.Method);
            CompiledKernel compiled;
            try { compiled = backend.Compile(entry, new KernelSpecialization()); }
            catch (Exception ex) { throw new InvalidOperationException($"Kernel {e.Name} failed to compile to PTX: {ex.Message}", ex); }
            results.Add(new PtxResult(e.Name, ((PTXCompiledKernel)compiled).PTXAssembly, sw.Elapsed.TotalMilliseconds));
        }
        return results;
    }
}
