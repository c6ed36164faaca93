using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>Embedding lookup (gather rows of weight [V, D] by I64 ids) and its backward (scatter-add with float
/// atomics, so repeated ids accumulate). An id outside [0, V) never indexes memory: the kernel writes zeros and
/// records the position, and the launcher reports the offending id.</summary>
public static class Embedding
{
    [GpuKernel]
    public static void ForwardKernel(Index1D e, ArrayView<float> weight, ArrayView<long> ids, ArrayView<float> y, ArrayView<int> error, int vocab, int dim)
    {
        int t = e / dim, d = e % dim;
        long id = ids[t];
        if (id < 0 || id >= vocab) { y[e] = 0f; error[0] = t + 1; return; }
        y[e] = weight[id * dim + d];
    }

    [GpuKernel]
    public static void BackwardKernel(Index1D e, ArrayView<float> g, ArrayView<long> ids, ArrayView<float> gw, int vocab, int dim, long paddingIdx)
    {
        int t = e / dim, d = e % dim;
        long id = ids[t];
        if (id < 0 || id >= vocab || id == paddingIdx) return;
        Atomic.Add(ref gw[id * dim + d], g[e]);
    }

    /// <summary>y [count, dim] = weight[ids]. With <paramref name="validate"/> (default) the launch synchronises once
    /// to report a bad id as an exception; without it a bad id yields a zero row silently.</summary>
    public static void Forward(GpuDevice dev, ArrayView<float> weight, int vocab, int dim, ArrayView<long> ids, int count, ArrayView<float> y, bool validate = true)
    {
        Check.Positive(vocab, nameof(vocab)); Check.Positive(dim, nameof(dim)); Check.NonNegative(count, nameof(count));
        Check.Fits(weight, (long)vocab * dim, "weight"); Check.Fits(ids, count, "ids"); Check.Fits(y, (long)count * dim, "y");
        if (count == 0) return;
        using var error = dev.Rent<int>(1, clear: true);
        dev.Auto<ArrayView<float>, ArrayView<long>, ArrayView<float>, ArrayView<int>, int, int>(ForwardKernel)(
            Check.ToInt((long)count * dim, "elements"), weight, ids, y, error.View, vocab, dim);
        if (!validate) return;
        int pos = dev.Download(error.View)[0];
        if (pos != 0)
        {
            long bad = dev.Download(ids.SubView(pos - 1, 1))[0];
            throw new ArgumentException($"Embedding id {bad} at position {pos - 1} is outside [0, {vocab}).");
        }
    }

    /// <summary>gw [vocab, dim] += scatter of g [count, dim] (gw is accumulated into: zero it for a fresh gradient).</summary>
    public static void Backward(GpuDevice dev, ArrayView<float> g, ArrayView<long> ids, int count, ArrayView<float> gw, int vocab, int dim, long paddingIdx = -1)
    {
        Check.Positive(vocab, nameof(vocab)); Check.Positive(dim, nameof(dim));
        Check.Fits(g, (long)count * dim, "grad"); Check.Fits(ids, count, "ids"); Check.Fits(gw, (long)vocab * dim, "grad_weight");
        if (count == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<long>, ArrayView<float>, int, int, long>(BackwardKernel)(
            Check.ToInt((long)count * dim, "elements"), g, ids, gw, vocab, dim, paddingIdx);
    }
}
