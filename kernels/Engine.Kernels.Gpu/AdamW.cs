using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>Fused AdamW step with PyTorch semantics (decoupled weight decay applied first; bias corrections as
/// torch.optim.AdamW with amsgrad off): one pass over parameter, gradient and both moments.</summary>
public static class AdamW
{
    public struct Params
    {
        public float Lr, Beta1, Beta2, Eps, WeightDecay, StepSize, InvSqrtBc2;
    }

    [GpuKernel]
    public static void StepKernel(Index1D i, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, Params p)
    {
        float g = grad[i];
        float w = param[i] * (1f - p.Lr * p.WeightDecay);
        float mi = p.Beta1 * m[i] + (1f - p.Beta1) * g;
        float vi = p.Beta2 * v[i] + (1f - p.Beta2) * g * g;
        m[i] = mi; v[i] = vi;
        param[i] = w - p.StepSize * mi / (MathF.Sqrt(vi) * p.InvSqrtBc2 + p.Eps);
    }

    /// <summary>One AdamW step (<paramref name="step"/> counts from 1) over n elements, all updated in place.</summary>
    public static void Step(GpuDevice dev, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> expAvg, ArrayView<float> expAvgSq, long n,
                            float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        Check.Positive(step, nameof(step));
        Check.Fits(param, n, "param"); Check.Fits(grad, n, "grad"); Check.Fits(expAvg, n, "exp_avg"); Check.Fits(expAvgSq, n, "exp_avg_sq");
        if (n == 0) return;
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        var p = new Params { Lr = lr, Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay, StepSize = (float)(lr / bc1), InvSqrtBc2 = (float)(1 / Math.Sqrt(bc2)) };
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Params>(StepKernel)(Check.ToInt(n, "elements"), param, grad, expAvg, expAvgSq, p);
    }
}

/// <summary>Optimiser steps in the exact arithmetic of the core's CPU backend (scalars precomputed by the caller).</summary>
public static class OptimizerSteps
{
    public struct AdamWScalars
    {
        public float Decay, OneMinusBeta1, Beta2, OneMinusBeta2, Eps, StepSize, Bc2Sqrt;
    }

    public struct SgdScalars
    {
        public float Lr, Momentum, Dampening, WeightDecay;
        public int Nesterov, FirstStep, HasBuffer;
    }

    /// <summary>p *= decay; m += (1-b1)(g - m); v = b2 v + (1-b2) g g; p += (-stepSize m) / (sqrt(v) / bc2Sqrt + eps).</summary>
    [GpuKernel]
    public static void AdamWKernel(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, AdamWScalars s)
    {
        float gi = g[i];
        float pi = p[i] * s.Decay;
        float mi = m[i] + s.OneMinusBeta1 * (gi - m[i]);
        float vi = s.Beta2 * v[i] + s.OneMinusBeta2 * gi * gi;
        m[i] = mi; v[i] = vi;
        p[i] = pi + (-s.StepSize * mi) / (MathF.Sqrt(vi) / s.Bc2Sqrt + s.Eps);
    }

    /// <summary>PyTorch SGD: g += wd p; buf = first ? g : momentum buf + (1 - dampening) g; g = nesterov ? g + momentum buf : buf; p -= lr g.</summary>
    [GpuKernel]
    public static void SgdKernel(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> buf, SgdScalars s)
    {
        float gi = g[i] + s.WeightDecay * p[i];
        if (s.HasBuffer != 0 && s.Momentum != 0f)
        {
            float b = s.FirstStep != 0 ? gi : s.Momentum * buf[i] + (1f - s.Dampening) * gi;
            buf[i] = b;
            gi = s.Nesterov != 0 ? gi + s.Momentum * b : b;
        }
        p[i] = p[i] - s.Lr * gi;
    }

    public static void AdamW(GpuDevice dev, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, long n, AdamWScalars s)
    {
        Check.Fits(p, n, "param"); Check.Fits(g, n, "grad"); Check.Fits(m, n, "exp_avg"); Check.Fits(v, n, "exp_avg_sq");
        if (n == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamWScalars>(AdamWKernel)(Check.ToInt(n, "elements"), p, g, m, v, s);
    }

    public static void Sgd(GpuDevice dev, ArrayView<float> p, ArrayView<float> g, ArrayView<float> buf, long n, SgdScalars s)
    {
        Check.Fits(p, n, "param"); Check.Fits(g, n, "grad");
        if (s.HasBuffer != 0) Check.Fits(buf, n, "momentum_buffer");
        if (n == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdScalars>(SgdKernel)(Check.ToInt(n, "elements"), p, g, s.HasBuffer != 0 ? buf : p, s);
    }
}
