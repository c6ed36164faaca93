using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>
/// Pooled device memory: buffers are kept in free lists by size class and handed out again instead of calling the
/// driver's allocator per op. Every launch goes to the device's one in-order stream, so a buffer returned to the pool
/// while kernels that use it are still queued can be re-rented at once: later users run after them.
/// Size classes are powers of two split in quarters (waste at most 25 %), minimum 256 elements.
/// </summary>
public sealed class DeviceArena : IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly Dictionary<(Type, long), Stack<MemoryBuffer>> _free = new();
    private readonly object _gate = new();
    private long _bytesHeld, _bytesInUse;

    internal DeviceArena(Accelerator accelerator) => _accelerator = accelerator;

    /// <summary>Bytes allocated from the driver and not yet released (in use plus pooled).</summary>
    public long BytesHeld { get { lock (_gate) return _bytesHeld; } }
    public long BytesInUse { get { lock (_gate) return _bytesInUse; } }

    public static long SizeClass(long length)
    {
        if (length <= 256) return 256;
        long p = 1L << (63 - (int)long.LeadingZeroCount(length - 1)); // largest power of two below length
        long quarter = p / 4;
        return (length + quarter - 1) / quarter * quarter;
    }

    /// <summary>Rents a buffer of at least <paramref name="length"/> elements (contents undefined unless
    /// <paramref name="clear"/>). Dispose the result to give it back.</summary>
    public DeviceBuffer<T> Rent<T>(long length, bool clear = false) where T : unmanaged
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), $"Negative buffer length {length}.");
        long cls = SizeClass(length);
        MemoryBuffer1D<T, Stride1D.Dense>? buf = null;
        lock (_gate)
        {
            if (_free.TryGetValue((typeof(T), cls), out var stack) && stack.Count > 0)
                buf = (MemoryBuffer1D<T, Stride1D.Dense>)stack.Pop();
        }
        if (buf == null)
        {
            try { buf = _accelerator.Allocate1D<T>(cls); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Out of device memory: release the pool and try once more before giving up.
                Trim();
                try { buf = _accelerator.Allocate1D<T>(cls); }
                catch (Exception e2) { throw new InvalidOperationException($"Device allocation of {cls} x {typeof(T).Name} failed ({BytesInUse} bytes in use): {e2.Message}", e2); }
            }
            lock (_gate) _bytesHeld += buf.LengthInBytes;
        }
        lock (_gate) _bytesInUse += buf.LengthInBytes;
        var result = new DeviceBuffer<T>(this, buf, length);
        if (clear) result.View.MemSetToZero(_accelerator.DefaultStream);
        return result;
    }

    internal void Return(MemoryBuffer buffer, Type elementType, long sizeClass)
    {
        lock (_gate)
        {
            _bytesInUse -= buffer.LengthInBytes;
            if (!_free.TryGetValue((elementType, sizeClass), out var stack)) _free[(elementType, sizeClass)] = stack = new Stack<MemoryBuffer>();
            stack.Push(buffer);
        }
    }

    /// <summary>Frees every pooled (not rented) buffer.</summary>
    public void Trim()
    {
        List<MemoryBuffer> all;
        lock (_gate)
        {
            all = _free.Values.SelectMany(s => s).ToList();
            _free.Clear();
            foreach (var b in all) _bytesHeld -= b.LengthInBytes;
        }
        _accelerator.DefaultStream.Synchronize();
        foreach (var b in all) b.Dispose();
    }

    public void Dispose() => Trim();
}

/// <summary>A rented device buffer; <see cref="View"/> is exactly <see cref="Length"/> elements long.</summary>
public sealed class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private readonly DeviceArena _arena;
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;

    internal DeviceBuffer(DeviceArena arena, MemoryBuffer1D<T, Stride1D.Dense> buffer, long length)
    {
        _arena = arena; _buffer = buffer; Length = length;
    }

    public long Length { get; }

    public ArrayView<T> View => (_buffer ?? throw new ObjectDisposedException(nameof(DeviceBuffer<T>))).View.SubView(0, Length);

    public void Dispose()
    {
        var b = Interlocked.Exchange(ref _buffer, null);
        if (b != null) _arena.Return(b, typeof(T), b.Length);
    }
}
