namespace Engine.Backends;

/// <summary>
/// The kernel set of one device. Ops in <see cref="Ops"/> validate shapes, allocate results and record autograd;
/// they then call these kernels, which see only storages, offsets, strides and sizes. A new device (the ILGPU
/// backend) implements this interface and registers itself in <see cref="BackendRegistry"/>; models never change.
/// The core owner extends this interface as ops are added; every method must have a CPU implementation.
/// </summary>
public interface IBackend
{
    Device Device { get; }

    Storage Allocate(DType dtype, long length, bool clear);

    /// <summary>Copies a strided view into another strided view of the same shape (both on this device).</summary>
    void CopyStrided(Storage src, long srcOffset, ReadOnlySpan<long> srcStrides, ReadOnlySpan<int> shape,
                     Storage dst, long dstOffset, ReadOnlySpan<long> dstStrides);

    /// <summary>Host upload/download of a contiguous range.</summary>
    void Upload(ReadOnlySpan<float> src, Storage dst, long dstOffset);
    void Download(Storage src, long srcOffset, Span<float> dst);
}
