using System.Collections.Concurrent;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Engine.Kernels.Gpu;

/// <summary>
/// One ILGPU accelerator (CUDA GPU or the CPU simulator) with its context, a pooled memory arena and a cache of
/// loaded kernels. All launches go to <see cref="Stream"/> (in order, asynchronous); only downloads synchronise.
/// Kernels are launched through the op-family classes (<see cref="Gemm"/>, <see cref="Elementwise"/>, ...), which
/// check every size and view length on the host first: an out-of-range index inside a kernel would take the whole
/// process down on the CPU simulator and corrupt memory on a GPU.
/// </summary>
public sealed partial class GpuDevice : IDisposable
{
    private readonly ConcurrentDictionary<MethodInfo, Delegate> _kernels = new();
    private readonly bool _ownsContext;

    private GpuDevice(Context context, Accelerator accelerator, bool ownsContext)
    {
        Context = context; Accelerator = accelerator; _ownsContext = ownsContext;
        Arena = new DeviceArena(accelerator);
    }

    public Context Context { get; }
    public Accelerator Accelerator { get; }
    public DeviceArena Arena { get; }
    public AcceleratorStream Stream => Accelerator.DefaultStream;
    public bool IsCuda => Accelerator.AcceleratorType == AcceleratorType.Cuda;
    public int WarpSize => Accelerator.WarpSize;
    public int MaxGroupSize => Accelerator.MaxNumThreadsPerGroup;
    public string Name => Accelerator.Name;

    /// <summary>Optional per-launch observer (kernel name, elapsed ms after a synchronise); used by the profiler.
    /// When set, every launch synchronises, so leave it null outside profiling.</summary>
    public Action<string, double>? LaunchObserver { get; set; }

    /// <summary>The threads per group the simulator offers (warp 32 x 8 warps): enough for every kernel here.</summary>
    public const int CpuWarps = 8;

    /// <summary>A CPU-simulated GPU: warp size 32 like NVIDIA hardware, 256 threads per group, one group at a time
    /// per simulated multiprocessor (each simulated thread is an OS thread, so keep shapes tiny).</summary>
    public static GpuDevice CreateCpu(int multiprocessors = 1)
    {
        var cpu = new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: CpuWarps, numMultiprocessors: multiprocessors);
        var context = Context.Create(b => b.CPU(cpu).Optimize(OptimizationLevel.O2));
        return new GpuDevice(context, context.GetCPUDevice(0).CreateCPUAccelerator(context), true);
    }

    /// <summary>Opens CUDA device <paramref name="index"/>; throws a clear error when no CUDA GPU is usable.</summary>
    public static GpuDevice CreateCuda(int index = 0)
    {
        CudaLibraryResolver.Install();
        Context context;
        try { context = Context.Create(b => b.Cuda().Optimize(OptimizationLevel.O2)); }
        catch (Exception e) { throw new InvalidOperationException($"CUDA is not available: {e.Message}", e); }
        var devices = context.GetCudaDevices();
        if (index < 0 || index >= devices.Count)
        {
            context.Dispose();
            throw new InvalidOperationException(devices.Count == 0
                ? "No CUDA GPU found (is the NVIDIA driver installed and libcuda.so.1 loadable?)."
                : $"CUDA device {index} does not exist ({devices.Count} found).");
        }
        return new GpuDevice(context, devices[index].CreateCudaAccelerator(context), true);
    }

    /// <summary>True when a CUDA GPU can be opened in this process (cheap after the first call).</summary>
    public static bool IsCudaAvailable()
    {
        if (_cudaAvailable is { } known) return known;
        CudaLibraryResolver.Install();
        try
        {
            using var context = Context.Create(b => b.Cuda());
            _cudaAvailable = context.GetCudaDevices().Count > 0;
            if (!_cudaAvailable.Value)
                CudaProbeError = CudaLibraryResolver.DriverLoadable()
                    ? "the NVIDIA driver is installed but reports no CUDA GPU."
                    : "no NVIDIA driver found (libcuda.so.1 could not be loaded).";
        }
        catch (Exception e)
        {
            _cudaAvailable = false;
            CudaProbeError = $"the CUDA driver could not be opened ({(e.InnerException ?? e).Message}); is the NVIDIA driver installed and libcuda.so.1 loadable?";
        }
        return _cudaAvailable.Value;
    }
    private static bool? _cudaAvailable;

    /// <summary>Why the last <see cref="IsCudaAvailable"/> probe found no GPU (null when it found one or never ran).</summary>
    public static string? CudaProbeError { get; private set; }

    /// <summary>Returns the loaded launcher of <paramref name="kernel"/>, loading (compiling) it on first use.</summary>
    internal TLaunch Load<TLaunch>(Delegate kernel, Func<Accelerator, TLaunch> loader) where TLaunch : Delegate =>
        (TLaunch)_kernels.GetOrAdd(kernel.Method, _ => loader(Accelerator));

    /// <summary>Number of distinct kernels loaded so far.</summary>
    public int LoadedKernelCount => _kernels.Count;

    public void Synchronize() => Stream.Synchronize();

    public DeviceBuffer<T> Rent<T>(long length, bool clear = false) where T : unmanaged => Arena.Rent<T>(length, clear);

    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var b = Rent<T>(data.Length);
        if (data.Length > 0) b.View.CopyFromCPU(Stream, data);
        return b;
    }

    public T[] Download<T>(ArrayView<T> view) where T : unmanaged
    {
        var result = new T[view.Length];
        if (view.Length > 0) view.CopyToCPU(Stream, result);
        Stream.Synchronize();
        return result;
    }

    internal void AfterLaunch(string name, long startTicks)
    {
        var obs = LaunchObserver;
        if (obs == null) return;
        Stream.Synchronize();
        obs(name, (System.Diagnostics.Stopwatch.GetTimestamp() - startTicks) * 1000.0 / System.Diagnostics.Stopwatch.Frequency);
    }

    public void Dispose()
    {
        Stream.Synchronize();
        Arena.Dispose();
        Accelerator.Dispose();
        if (_ownsContext) Context.Dispose();
    }
}
