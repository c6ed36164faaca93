using System.Buffers;

namespace Engine;

/// <summary>
/// A flat buffer of elements on one device. Views (<see cref="Tensor"/>) share a storage.
/// Disposing returns pooled memory; a storage that is never disposed is simply collected.
/// </summary>
public abstract class Storage : IDisposable
{
    public abstract Device Device { get; }
    public abstract DType DType { get; }
    /// <summary>Number of elements (not bytes).</summary>
    public abstract long Length { get; }
    public abstract void Dispose();
}

/// <summary>Host storage. Float32 buffers come from a pool (TensorBufferPool), so the array may be longer than
/// <see cref="Length"/>: always slice with Length.</summary>
public sealed class CpuStorage : Storage
{
    private float[]? _f;
    private readonly long[]? _l;
    private readonly int[]? _i;
    private readonly byte[]? _b;
    private readonly bool _pooled;
    private readonly DType _dtype;
    private readonly long _length;

    private CpuStorage(DType dtype, long length, float[]? f, long[]? l, int[]? i, byte[]? b, bool pooled)
    {
        _dtype = dtype; _length = length; _f = f; _l = l; _i = i; _b = b; _pooled = pooled;
    }

    public override Device Device => Device.Cpu;
    public override DType DType => _dtype;
    public override long Length => _length;

    /// <summary>Allocates zeroed storage (float32 from the pool).</summary>
    public static CpuStorage Allocate(DType dtype, long length, bool clear = true)
    {
        if (length < 0 || length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(length), $"Tensor of {length} elements is too large for host memory.");
        int n = (int)length;
        switch (dtype)
        {
            case DType.F32:
                var f = n == 0 ? Array.Empty<float>() : TensorBufferPool.Rent(n);
                if (clear) Array.Clear(f, 0, n);
                return new CpuStorage(dtype, length, f, null, null, null, n != 0);
            case DType.I64: return new CpuStorage(dtype, length, null, new long[n], null, null, false);
            case DType.I32: return new CpuStorage(dtype, length, null, null, new int[n], null, false);
            case DType.U8:
            case DType.Bool: return new CpuStorage(dtype, length, null, null, null, new byte[n], false);
            default: throw new NotSupportedException($"dtype {dtype} is import-only; convert to F32 first.");
        }
    }

    public static CpuStorage Wrap(float[] data) => new(DType.F32, data.Length, data, null, null, null, false);
    public static CpuStorage Wrap(long[] data) => new(DType.I64, data.Length, null, data, null, null, false);
    public static CpuStorage Wrap(int[] data) => new(DType.I32, data.Length, null, null, data, null, false);
    public static CpuStorage WrapBytes(byte[] data, DType dtype) => new(dtype, data.Length, null, null, null, data, false);

    /// <summary>The backing int array (I32 storages; may be used by kernels that need an array, e.g. in lambdas).</summary>
    public int[] IntArray => _i ?? throw new InvalidOperationException($"Storage is {_dtype}, not I32.");
    internal long[] LongArray => _l ?? throw new InvalidOperationException($"Storage is {_dtype}, not I64.");
    internal byte[] ByteArray => _b ?? throw new InvalidOperationException($"Storage is {_dtype}, not U8/Bool.");
    public float[] FloatArray => _f ?? throw new InvalidOperationException(_dtype == DType.F32
        ? "This tensor's storage was disposed: it was a temporary of a TensorScope (or TensorScope.Infer) that has ended. Keep it with TensorScope.Keep, or make it outside the scope."
        : $"Storage is {_dtype}, not F32.");
    public Span<float> Floats => FloatArray.AsSpan(0, (int)_length);
    public Span<long> Longs => (_l ?? throw new InvalidOperationException($"Storage is {_dtype}, not I64.")).AsSpan();
    public Span<int> Ints => (_i ?? throw new InvalidOperationException($"Storage is {_dtype}, not I32.")).AsSpan();
    public Span<byte> Bytes => (_b ?? throw new InvalidOperationException($"Storage is {_dtype}, not U8/Bool.")).AsSpan();

    public override void Dispose()
    {
        var f = Interlocked.Exchange(ref _f, null);
        if (f != null && _pooled) TensorBufferPool.Return(f);
    }
}
