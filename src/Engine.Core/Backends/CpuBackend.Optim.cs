namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void AdamWStep(Storage p, long pOffset, Storage g, long gOffset, Storage m, long mOffset, Storage v, long vOffset, long n,
                          float decay, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt)
    {
        var pa = F(p); var ga = F(g); var ma = F(m); var va = F(v);
        CpuParallel.For(n, 12, (s, e) =>
        {
            for (long i = s; i < e; i++)
            {
                float gi = ga[gOffset + i];
                ref float pi = ref pa[pOffset + i];
                ref float mi = ref ma[mOffset + i];
                ref float vi = ref va[vOffset + i];
                pi *= decay;                                   // param.mul_(1 - lr * wd)
                mi += oneMinusBeta1 * (gi - mi);               // exp_avg.lerp_(grad, 1 - beta1) (weight < 0.5 branch)
                vi = vi * beta2 + oneMinusBeta2 * gi * gi;     // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
                float denom = MathF.Sqrt(vi) / bc2Sqrt + eps;  // (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
                pi += -stepSize * mi / denom;                  // param.addcdiv_(exp_avg, denom, value=-step_size)
            }
        });
    }

    public void SgdStep(Storage p, long pOffset, Storage g, long gOffset, Storage? buf, long bufOffset, long n,
                        float lr, float momentum, float dampening, float weightDecay, bool nesterov, bool firstStep)
    {
        var pa = F(p); var ga = F(g); var ba = buf is null ? null : F(buf);
        CpuParallel.For(n, 8, (s, e) =>
        {
            for (long i = s; i < e; i++)
            {
                float d = ga[gOffset + i];
                if (weightDecay != 0f) d += weightDecay * pa[pOffset + i];
                if (momentum != 0f)
                {
                    ref float bi = ref ba![bufOffset + i];
                    bi = firstStep ? d : momentum * bi + (1f - dampening) * d;
                    d = nesterov ? d + momentum * bi : bi;
                }
                pa[pOffset + i] -= lr * d;
            }
        });
    }
}
