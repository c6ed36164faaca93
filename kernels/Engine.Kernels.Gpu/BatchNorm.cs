using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>BatchNorm over axis 1 of contiguous [N, C, S] (S = spatial size), PyTorch semantics: training uses batch
/// statistics (biased variance to normalise, unbiased for the running update) and updates running stats in place;
/// eval uses running stats. Forward saves per-channel mean and invstd for backward.</summary>
public static class BatchNorm
{
    public struct Params
    {
        public int N, C, S, HasWeight, HasBias, Training, HasRunning;
        public float Eps, Momentum;
    }

    /// <summary>One group per channel: batch mean/invstd and the running-stat update (training).</summary>
    [GpuKernel(ExplicitlyGrouped = true)]
    public static void StatsKernel(ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invstd,
                                   ArrayView<float> runMean, ArrayView<float> runVar, Params p)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.MaxThreads);
        int c = Grid.IdxX, tid = Group.IdxX, nt = Group.DimX;
        long m = (long)p.N * p.S;
        float s = 0f;
        for (long e = tid; e < m; e += nt) s += x[((e / p.S) * p.C + c) * p.S + e % p.S];
        float mu = GroupReduce.Sum(s, scratch) / m;
        float v = 0f;
        for (long e = tid; e < m; e += nt) { float d = x[((e / p.S) * p.C + c) * p.S + e % p.S] - mu; v += d * d; }
        float var = GroupReduce.Sum(v, scratch) / m;
        if (tid == 0)
        {
            mean[c] = mu;
            invstd[c] = 1f / MathF.Sqrt(var + p.Eps);
            if (p.HasRunning != 0)
            {
                float unbiased = m > 1 ? var * m / (m - 1) : var;
                runMean[c] = (1f - p.Momentum) * runMean[c] + p.Momentum * mu;
                runVar[c] = (1f - p.Momentum) * runVar[c] + p.Momentum * unbiased;
            }
        }
    }

    [GpuKernel]
    public static void EvalStatsKernel(Index1D c, ArrayView<float> runMean, ArrayView<float> runVar, ArrayView<float> mean, ArrayView<float> invstd, float eps)
    {
        mean[c] = runMean[c];
        invstd[c] = 1f / MathF.Sqrt(runVar[c] + eps);
    }

    [GpuKernel]
    public static void ApplyKernel(Index1D e, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invstd, ArrayView<float> w, ArrayView<float> b,
                                   ArrayView<float> y, Params p)
    {
        int c = (int)((e / p.S) % p.C);
        float h = (x[e] - mean[c]) * invstd[c];
        if (p.HasWeight != 0) h *= w[c];
        if (p.HasBias != 0) h += b[c];
        y[e] = h;
    }

    /// <summary>One group per channel: sums[c] = sum g, sums[C + c] = sum g xhat; also the weight/bias gradients.</summary>
    [GpuKernel(ExplicitlyGrouped = true)]
    public static void BackwardReduceKernel(ArrayView<float> x, ArrayView<float> g, ArrayView<float> mean, ArrayView<float> invstd,
                                            ArrayView<float> sums, ArrayView<float> gw, ArrayView<float> gb, Params p)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.MaxThreads);
        int c = Grid.IdxX, tid = Group.IdxX, nt = Group.DimX;
        long m = (long)p.N * p.S;
        float mu = mean[c], rs = invstd[c];
        float sg = 0f, sgx = 0f;
        for (long e = tid; e < m; e += nt)
        {
            long k = ((e / p.S) * p.C + c) * p.S + e % p.S;
            float gv = g[k];
            sg += gv; sgx += gv * (x[k] - mu) * rs;
        }
        sg = GroupReduce.Sum(sg, scratch);
        sgx = GroupReduce.Sum(sgx, scratch);
        if (tid == 0)
        {
            sums[c] = sg; sums[p.C + c] = sgx;
            if (p.HasWeight != 0) gw[c] = sgx;
            if (p.HasBias != 0) gb[c] = sg;
        }
    }

    /// <summary>Training: gx = w invstd (g - sum g / M - xhat sum(g xhat) / M); eval: gx = g w invstd.</summary>
    [GpuKernel]
    public static void BackwardApplyKernel(Index1D e, ArrayView<float> x, ArrayView<float> g, ArrayView<float> mean, ArrayView<float> invstd,
                                           ArrayView<float> w, ArrayView<float> sums, ArrayView<float> gx, Params p)
    {
        int c = (int)((e / p.S) % p.C);
        float scale = invstd[c] * (p.HasWeight != 0 ? w[c] : 1f);
        if (p.Training != 0)
        {
            float m = (float)((long)p.N * p.S);
            float xhat = (x[e] - mean[c]) * invstd[c];
            gx[e] = scale * (g[e] - sums[c] / m - xhat * sums[p.C + c] / m);
        }
        else gx[e] = g[e] * scale;
    }

    /// <summary>Forward. runMean/runVar: [C] or empty (training without running stats). mean/invstd: [C] outputs
    /// saved for <see cref="Backward"/>.</summary>
    public static void Forward(GpuDevice dev, ArrayView<float> x, ArrayView<float> runMean, ArrayView<float> runVar, ArrayView<float> weight, ArrayView<float> bias,
                               ArrayView<float> y, ArrayView<float> mean, ArrayView<float> invstd, int n, int c, int s, bool training, float momentum, float eps)
    {
        var p = Validate(x, weight, bias, n, c, s);
        p.Training = training ? 1 : 0; p.Momentum = momentum; p.Eps = eps;
        p.HasRunning = runMean.Length > 0 && runVar.Length > 0 ? 1 : 0;
        if (p.HasRunning != 0) { Check.Fits(runMean, c, "running_mean"); Check.Fits(runVar, c, "running_var"); }
        if (!training && p.HasRunning == 0) throw new ArgumentException("BatchNorm in eval mode needs running_mean and running_var.");
        Check.Fits(y, (long)n * c * s, "y"); Check.Fits(mean, c, "mean"); Check.Fits(invstd, c, "invstd");
        if ((long)n * s == 0) return;
        if (training)
            dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Params>(StatsKernel)(
                new KernelConfig(c, Reduce.RowThreads((int)Math.Min(int.MaxValue, (long)n * s))), x, mean, invstd, LayerNorm.Or(runMean, mean), LayerNorm.Or(runVar, mean), p);
        else
            dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float>(EvalStatsKernel)(c, runMean, runVar, mean, invstd, eps);
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Params>(ApplyKernel)(
            Check.ToInt((long)n * c * s, "elements"), x, mean, invstd, LayerNorm.Or(weight, x), LayerNorm.Or(bias, x), y, p);
    }

    /// <summary>Backward with the saved mean/invstd; gWeight/gBias written when non-empty.</summary>
    public static void Backward(GpuDevice dev, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> g, ArrayView<float> mean, ArrayView<float> invstd,
                                ArrayView<float> gx, ArrayView<float> gWeight, ArrayView<float> gBias, int n, int c, int s, bool training)
    {
        var p = Validate(x, weight, default, n, c, s);
        p.Training = training ? 1 : 0;
        long count = (long)n * c * s;
        Check.Fits(g, count, "grad"); Check.Fits(gx, count, "grad_x"); Check.Fits(mean, c, "mean"); Check.Fits(invstd, c, "invstd");
        if (gWeight.Length > 0) Check.Fits(gWeight, c, "grad_weight");
        if (gBias.Length > 0) Check.Fits(gBias, c, "grad_bias");
        if (count == 0) return;
        using var sums = dev.Rent<float>(2L * c);
        var q = p; q.HasWeight = gWeight.Length > 0 ? 1 : 0; q.HasBias = gBias.Length > 0 ? 1 : 0;
        dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Params>(BackwardReduceKernel)(
            new KernelConfig(c, Reduce.RowThreads((int)Math.Min(int.MaxValue, (long)n * s))), x, g, mean, invstd, sums.View, LayerNorm.Or(gWeight, gx), LayerNorm.Or(gBias, gx), q);
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Params>(BackwardApplyKernel)(
            Check.ToInt(count, "elements"), x, g, mean, invstd, LayerNorm.Or(weight, x), sums.View, gx, p);
    }

    private static Params Validate(ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, int n, int c, int s)
    {
        Check.NonNegative(n, "batch"); Check.Positive(c, "channels"); Check.NonNegative(s, "spatial size");
        Check.Fits(x, (long)n * c * s, "x");
        if (w.Length > 0) Check.Fits(w, c, "weight");
        if (b.Length > 0) Check.Fits(b, c, "bias");
        return new Params { N = n, C = c, S = s, HasWeight = w.Length > 0 ? 1 : 0, HasBias = b.Length > 0 ? 1 : 0 };
    }
}
