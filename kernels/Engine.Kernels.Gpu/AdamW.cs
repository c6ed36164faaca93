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
