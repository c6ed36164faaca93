using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>Typed, cached kernel loaders: <c>dev.Auto(kernel)</c> for Index1D kernels, <c>dev.Grouped(kernel)</c>
/// for explicitly grouped ones. Each kernel is compiled once per device.</summary>
public sealed partial class GpuDevice
{
    internal Action<Index1D, T1> Auto<T1>(Action<Index1D, T1> kernel) where T1 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1> Grouped<T1>(Action<T1> kernel) where T1 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2> Auto<T1, T2>(Action<Index1D, T1, T2> kernel) where T1 : struct where T2 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2> Grouped<T1, T2>(Action<T1, T2> kernel) where T1 : struct where T2 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3> Auto<T1, T2, T3>(Action<Index1D, T1, T2, T3> kernel) where T1 : struct where T2 : struct where T3 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3> Grouped<T1, T2, T3>(Action<T1, T2, T3> kernel) where T1 : struct where T2 : struct where T3 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3, T4> Auto<T1, T2, T3, T4>(Action<Index1D, T1, T2, T3, T4> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3, T4> Grouped<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3, T4, T5> Auto<T1, T2, T3, T4, T5>(Action<Index1D, T1, T2, T3, T4, T5> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3, T4, T5> Grouped<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3, T4, T5, T6> Auto<T1, T2, T3, T4, T5, T6>(Action<Index1D, T1, T2, T3, T4, T5, T6> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6> Grouped<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7> Auto<T1, T2, T3, T4, T5, T6, T7>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7> Grouped<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8> Auto<T1, T2, T3, T4, T5, T6, T7, T8>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> Grouped<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9> Auto<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9> Grouped<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> Auto<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> Grouped<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> Auto<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> Grouped<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> Auto<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct =>
        Load(kernel, acc => acc.LoadAutoGroupedStreamKernel(kernel));
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> Grouped<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct =>
        Load(kernel, acc => acc.LoadStreamKernel(kernel));
}
