using System.Buffers;

namespace Engine;

/// <summary>The pool behind every CPU float tensor. A training step holds its whole tape at once (hundreds of buffers
/// of the same few sizes); the shared ArrayPool keeps only ~32 buffers per size per core and drops the rest when the
/// step releases them (<see cref="TensorScope.BeginStep"/>), so the next step allocated those afresh: new pages, page
/// faults (CLIPSeg rd64-refined all-parameter fwd+bwd: 228 MB of new arrays per step; with this pool 3 MB, and the
/// peak working set 2.9 -> 2.4 GB since the GC no longer holds a step's garbage beside the next step's buffers).
/// It keeps up to <see cref="BuffersPerSize"/> buffers per power-of-two size and never trims: a process keeps the
/// buffers of its largest step until it exits.</summary>
internal static class TensorBufferPool
{
    public const int BuffersPerSize = 512;
    private static readonly ArrayPool<float> Pool = ArrayPool<float>.Create(1 << 30, BuffersPerSize);

    public static float[] Rent(int length) => Pool.Rent(length);

    public static void Return(float[] array) => Pool.Return(array);
}
