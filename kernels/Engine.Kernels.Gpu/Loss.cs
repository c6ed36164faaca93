using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>Losses: BCE-with-logits (elementwise; reduce with <see cref="Reduce"/>) and soft Dice on logits
/// (p = sigmoid(logits), per-sample sums over all non-batch elements, averaged over the batch).</summary>
public static class Loss
{
    /// <summary>loss = max(x, 0) - x y + log(1 + exp(-|x|)) (stable form of -[y log s + (1-y) log(1-s)]).</summary>
    [GpuKernel]
    public static void BceKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> loss)
    {
        float v = x[i];
        loss[i] = (v > 0 ? v : 0f) - v * y[i] + GpuMath.Log(1f + GpuMath.Exp(v < 0 ? v : -v));
    }

    /// <summary>gx = (sigmoid(x) - y) * g * scale; g is per element (gStride 1) or one scalar (gStride 0).</summary>
    [GpuKernel]
    public static void BceBackwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> g, ArrayView<float> gx, int gStride, float scale)
    {
        gx[i] = (GpuMath.Sigmoid(x[i]) - y[i]) * g[i * gStride] * scale;
    }

    /// <summary>One group per sample: stats[3n..3n+2] = sum p t, sum p, sum t.</summary>
    [GpuKernel(ExplicitlyGrouped = true)]
    public static void DiceStatsKernel(ArrayView<float> x, ArrayView<float> t, ArrayView<float> stats, int per)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.MaxThreads);
        int n = Grid.IdxX, tid = Group.IdxX, nt = Group.DimX;
        long b = (long)n * per;
        float spt = 0f, sp = 0f, st = 0f;
        for (int j = tid; j < per; j += nt)
        {
            float p = GpuMath.Sigmoid(x[b + j]), tv = t[b + j];
            spt += p * tv; sp += p; st += tv;
        }
        spt = GroupReduce.Sum(spt, scratch);
        sp = GroupReduce.Sum(sp, scratch);
        st = GroupReduce.Sum(st, scratch);
        if (tid == 0) { stats[3 * n] = spt; stats[3 * n + 1] = sp; stats[3 * n + 2] = st; }
    }

    [GpuKernel]
    public static void DiceLossKernel(Index1D i, ArrayView<float> stats, ArrayView<float> loss, int batch, float smooth)
    {
        float acc = 0f;
        for (int n = 0; n < batch; n++)
            acc += 1f - (2f * stats[3 * n] + smooth) / (stats[3 * n + 1] + stats[3 * n + 2] + smooth);
        loss[0] = acc / batch;
    }

    /// <summary>gx = g/N * d(1 - (2I+s)/(P+T+s))/dp * p(1-p), with dI/dp = t, dP/dp = 1.</summary>
    [GpuKernel]
    public static void DiceBackwardKernel(Index1D e, ArrayView<float> x, ArrayView<float> t, ArrayView<float> stats, ArrayView<float> g, ArrayView<float> gx,
                                          int per, int batch, float smooth)
    {
        int n = e / per;
        float num = 2f * stats[3 * n] + smooth, den = stats[3 * n + 1] + stats[3 * n + 2] + smooth;
        float p = GpuMath.Sigmoid(x[e]);
        float dp = -(2f * t[e] * den - num) / (den * den);
        gx[e] = g[0] / batch * dp * p * (1f - p);
    }

    /// <summary>Elementwise BCE-with-logits into <paramref name="loss"/> (n elements).</summary>
    public static void BceWithLogits(GpuDevice dev, ArrayView<float> logits, ArrayView<float> target, ArrayView<float> loss, long n)
    {
        Check.Fits(logits, n, "logits"); Check.Fits(target, n, "target"); Check.Fits(loss, n, "loss");
        if (n == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>>(BceKernel)(Check.ToInt(n, "elements"), logits, target, loss);
    }

    /// <summary>Gradient wrt logits. <paramref name="gradIsScalar"/>: g is one value (mean/sum reduction, with
    /// <paramref name="scale"/> 1/n or 1); otherwise g has n elements (no reduction, scale 1).</summary>
    public static void BceWithLogitsBackward(GpuDevice dev, ArrayView<float> logits, ArrayView<float> target, ArrayView<float> g, bool gradIsScalar, float scale,
                                             ArrayView<float> gx, long n)
    {
        Check.Fits(logits, n, "logits"); Check.Fits(target, n, "target"); Check.Fits(g, gradIsScalar ? 1 : n, "grad"); Check.Fits(gx, n, "grad_logits");
        if (n == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(BceBackwardKernel)(
            Check.ToInt(n, "elements"), logits, target, g, gx, gradIsScalar ? 0 : 1, scale);
    }

    /// <summary>Soft Dice loss of logits/targets [batch, per] into loss[0]; stats [3 * batch] is kept for backward.</summary>
    public static void SoftDice(GpuDevice dev, ArrayView<float> logits, ArrayView<float> target, int batch, int per, float smooth,
                                ArrayView<float> stats, ArrayView<float> loss)
    {
        Check.Positive(batch, nameof(batch)); Check.Positive(per, "elements per sample");
        Check.Fits(logits, (long)batch * per, "logits"); Check.Fits(target, (long)batch * per, "target");
        Check.Fits(stats, 3L * batch, "stats"); Check.Fits(loss, 1, "loss");
        dev.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(DiceStatsKernel)(
            new KernelConfig(batch, Reduce.RowThreads(per)), logits, target, stats, per);
        dev.Auto<ArrayView<float>, ArrayView<float>, int, float>(DiceLossKernel)(1, stats, loss, batch, smooth);
    }

    public static void SoftDiceBackward(GpuDevice dev, ArrayView<float> logits, ArrayView<float> target, ArrayView<float> stats, ArrayView<float> g,
                                        ArrayView<float> gx, int batch, int per, float smooth)
    {
        Check.Positive(batch, nameof(batch)); Check.Positive(per, "elements per sample");
        Check.Fits(logits, (long)batch * per, "logits"); Check.Fits(target, (long)batch * per, "target");
        Check.Fits(stats, 3L * batch, "stats"); Check.Fits(g, 1, "grad"); Check.Fits(gx, (long)batch * per, "grad_logits");
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(DiceBackwardKernel)(
            Check.ToInt((long)batch * per, "elements"), logits, target, stats, g, gx, per, batch, smooth);
    }
}
