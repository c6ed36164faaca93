using Engine.Kernels.Gpu;
using ILGPU;

namespace Engine.Backends.Ilgpu;

/// <summary>Device storage rented from the device's pooled arena; F32 as float, I64 as long, I32 as int, U8/Bool as byte.
/// Disposing returns the memory to the pool (kernels already queued on the stream still run first).</summary>
public sealed class IlgpuStorage : Storage
{
    private readonly Device _device;
    private readonly DType _dtype;
    private readonly long _length;
    private DeviceBuffer<float>? _f;
    private DeviceBuffer<long>? _l;
    private DeviceBuffer<int>? _i;
    private DeviceBuffer<byte>? _b;

    internal IlgpuStorage(GpuDevice gpu, Device device, DType dtype, long length, bool clear)
    {
        _device = device; _dtype = dtype; _length = length;
        switch (dtype)
        {
            case DType.F32: _f = gpu.Rent<float>(length, clear); break;
            case DType.I64: _l = gpu.Rent<long>(length, clear); break;
            case DType.I32: _i = gpu.Rent<int>(length, clear); break;
            case DType.U8:
            case DType.Bool: _b = gpu.Rent<byte>(length, clear); break;
            default: throw new NotSupportedException($"dtype {dtype} is import-only; convert to F32 before moving it to {device}.");
        }
    }

    public override Device Device => _device;
    public override DType DType => _dtype;
    public override long Length => _length;

    public ArrayView<float> Floats => (_f ?? throw Wrong(DType.F32)).View;
    public ArrayView<long> Longs => (_l ?? throw Wrong(DType.I64)).View;
    public ArrayView<int> Ints => (_i ?? throw Wrong(DType.I32)).View;
    public ArrayView<byte> Bytes => (_b ?? throw Wrong(DType.U8)).View;

    private InvalidOperationException Wrong(DType wanted) => new($"Storage on {_device} is {_dtype}, not {wanted} (or was disposed).");

    public override void Dispose()
    {
        Interlocked.Exchange(ref _f, null)?.Dispose();
        Interlocked.Exchange(ref _l, null)?.Dispose();
        Interlocked.Exchange(ref _i, null)?.Dispose();
        Interlocked.Exchange(ref _b, null)?.Dispose();
    }
}
