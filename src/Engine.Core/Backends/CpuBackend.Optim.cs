namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void AdamWStep(Storage p, long pOffset, Storage g, long gOffset, Storage m, long mOffset, Storage v, long vOffset, long n,
                          float lr, float beta1, float beta2, float eps, float weightDecay, float stepSize, float bc2Sqrt)
    {
        var pa = F(p); var ga = F(g); var ma = F(m); var va = F(v);
        float decay = 1f - lr * weightDecay;
        float w1 = 1f - beta1, w2 = 1f - beta2;
        CpuParallel.For(n, 12, (s, e) =>
        {
            for (long i = s; i < e; i++)
            {
                float gi = ga[gOffset + i];
                ref float pi = ref pa[pOffset + i];
                ref float mi = ref ma[mOffset + i];
                ref float vi = ref va[vOffset + i];
                pi *= decay;
                mi += w1 * (gi - mi);                        // torch lerp with weight < 0.5
                vi = vi * beta2 + w2 * gi * gi;              // mul_(b2).addcmul_(g, g, value=1-b2)
                float denom = MathF.Sqrt(vi) / bc2Sqrt + eps;
                pi += -stepSize * mi / denom;                // addcdiv_(m, denom, value=-step_size)
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
