using ILGPU;

namespace Engine.Kernels.Gpu;

/// <summary>Host-side argument checks run before every launch (a kernel must never index out of range).</summary>
internal static class Check
{
    public static void Positive(long value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, $"{name} must be positive (got {value}).");
    }

    public static void NonNegative(long value, string name)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, $"{name} must be non-negative (got {value}).");
    }

    /// <summary>The view must hold at least <paramref name="required"/> elements.</summary>
    public static void Fits<T>(ArrayView<T> view, long required, string name) where T : unmanaged
    {
        if (required > view.Length)
            throw new ArgumentException($"Buffer '{name}' has {view.Length} elements but the launch reads or writes {required}.", name);
    }

    /// <summary>Largest element index (+1) a strided access touches, for non-negative strides.</summary>
    public static long Extent(long offset, ReadOnlySpan<int> shape, ReadOnlySpan<long> strides)
    {
        long last = offset;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 0) return 0;
            if (strides[i] < 0) throw new ArgumentException("Negative strides are not supported by the GPU kernels.");
            last += (shape[i] - 1) * strides[i];
        }
        return last + 1;
    }

    public static int ToInt(long value, string what)
    {
        if (value > int.MaxValue) throw new ArgumentException($"{what} ({value}) exceeds the 2^31 elements one launch supports.");
        return (int)value;
    }
}
