using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void Softmax(Storage x, long xOffset, int rows, int n, bool log, Storage y, long yOffset)
    {
        var xa = F(x); var ya = F(y);
        CpuParallel.For(rows, n * 4L, (s, e) =>
        {
            for (long r = s; r < e; r++)
            {
                var xr = new ReadOnlySpan<float>(xa, (int)(xOffset + r * n), n);
                var yr = new Span<float>(ya, (int)(yOffset + r * n), n);
                float max = TensorPrimitives.Max(xr);
                TensorPrimitives.Subtract(xr, max, yr);
                if (log)
                {
                    // log_softmax = (x - max) - log(sum(exp(x - max))); exp into y temporarily is not possible in
                    // place without losing x - max, so accumulate the sum element by element.
                    float sum = 0f;
                    for (int i = 0; i < n; i++) sum += MathF.Exp(yr[i]);
                    TensorPrimitives.Subtract(yr, MathF.Log(sum), yr);
                }
                else
                {
                    TensorPrimitives.Exp(yr, yr);
                    float sum = TensorPrimitives.Sum(yr);
                    TensorPrimitives.Multiply(yr, 1f / sum, yr);
                }
            }
        });
    }

    public void SoftmaxBackward(Storage y, long yOffset, Storage gy, long gyOffset, int rows, int n, bool log, Storage gx, long gxOffset)
    {
        var ya = F(y); var ga = F(gy); var oa = F(gx);
        CpuParallel.For(rows, n * 4L, (s, e) =>
        {
            for (long r = s; r < e; r++)
            {
                var yr = new ReadOnlySpan<float>(ya, (int)(yOffset + r * n), n);
                var gr = new ReadOnlySpan<float>(ga, (int)(gyOffset + r * n), n);
                var or = new Span<float>(oa, (int)(gxOffset + r * n), n);
                if (log)
                {
                    // gx = g - softmax * sum(g), softmax = exp(y)
                    float sum = TensorPrimitives.Sum(gr);
                    for (int i = 0; i < n; i++) or[i] = gr[i] - MathF.Exp(yr[i]) * sum;
                }
                else
                {
                    // gx = y * (g - dot(g, y))
                    float dot = TensorPrimitives.Dot(gr, yr);
                    TensorPrimitives.Subtract(gr, dot, or);
                    TensorPrimitives.Multiply(or, yr, or);
                }
            }
        });
    }

    public void LayerNorm(Storage x, long xOffset, Storage? weight, long wOffset, Storage? bias, long bOffset, int rows, int n, float eps,
                          Storage y, long yOffset, Storage mean, Storage rstd)
    {
        var xa = F(x); var ya = F(y); var ma = F(mean); var ra = F(rstd);
        var wa = weight is null ? null : F(weight); var ba = bias is null ? null : F(bias);
        CpuParallel.For(rows, n * 6L, (s, e) =>
        {
            var wr = wa is null ? default : new ReadOnlySpan<float>(wa, (int)wOffset, n);
            var br = ba is null ? default : new ReadOnlySpan<float>(ba, (int)bOffset, n);
            for (long r = s; r < e; r++)
            {
                var xr = new ReadOnlySpan<float>(xa, (int)(xOffset + r * n), n);
                var yr = new Span<float>(ya, (int)(yOffset + r * n), n);
                LayerNormRow(xr, yr, wr, br, eps, out ma[r], out ra[r]);
            }
        });
    }

    /// <summary>One row of layer norm in three passes (sum; sum of squared deviations; (x - mean) * rstd * w + b),
    /// where six library passes over the row cost as much in call overhead as in arithmetic (a 768-wide ViT row).
    /// The variance is the two-pass one (deviations from the mean), as PyTorch's. w and b may be empty (absent).
    /// y may alias x.</summary>
    private static void LayerNormRow(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        float eps, out float mean, out float rstd)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            var s0 = Vector256<float>.Zero; var s1 = Vector256<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                s0 += Vector256.LoadUnsafe(ref xr, (nuint)i);
                s1 += Vector256.LoadUnsafe(ref xr, (nuint)(i + 8));
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; i < n; i++) sum += x[i];
        float mu = sum / n;

        float squares = 0;
        i = 0;
        if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            var vmu = Vector256.Create(mu);
            var q0 = Vector256<float>.Zero; var q1 = Vector256<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var d0 = Vector256.LoadUnsafe(ref xr, (nuint)i) - vmu;
                var d1 = Vector256.LoadUnsafe(ref xr, (nuint)(i + 8)) - vmu;
                q0 = Vector256.FusedMultiplyAdd(d0, d0, q0);
                q1 = Vector256.FusedMultiplyAdd(d1, d1, q1);
            }
            squares = Vector256.Sum(q0 + q1);
        }
        for (; i < n; i++) { float d = x[i] - mu; squares += d * d; }
        float rs = 1f / MathF.Sqrt(squares / n + eps);

        i = 0;
        bool hasW = !w.IsEmpty, hasB = !b.IsEmpty;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float wr = ref MemoryMarshal.GetReference(w);
            ref float br = ref MemoryMarshal.GetReference(b);
            var vmu = Vector256.Create(mu); var vrs = Vector256.Create(rs);
            for (; i + 8 <= n; i += 8)
            {
                var t = (Vector256.LoadUnsafe(ref xr, (nuint)i) - vmu) * vrs;
                if (hasW) t *= Vector256.LoadUnsafe(ref wr, (nuint)i);
                if (hasB) t += Vector256.LoadUnsafe(ref br, (nuint)i);
                t.StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float t = (x[i] - mu) * rs;
            if (hasW) t *= w[i];
            if (hasB) t += b[i];
            y[i] = t;
        }
        mean = mu; rstd = rs;
    }

    public void LayerNormBackward(Storage x, long xOffset, Storage? weight, long wOffset, Storage gy, long gyOffset, Storage mean, Storage rstd,
                                  int rows, int n, Storage gx, long gxOffset, Storage? gw, Storage? gb)
    {
        var xa = F(x); var ga = F(gy); var oa = F(gx); var ma = F(mean); var ra = F(rstd);
        var wa = weight is null ? null : F(weight);
        int workers = CpuParallel.Workers;
        // Per-worker partial sums for gw/gb, merged at the end (no locking in the row loop).
        var partW = gw is null ? null : new float[workers * n];
        var partB = gb is null ? null : new float[workers * n];
        int chunks = (int)Math.Min(rows, workers);
        Engine.Kernels.Cpu.KernelThreading.For(Math.Max(1, chunks), c =>
        {
            long s = (long)rows * c / Math.Max(1, chunks), e = (long)rows * (c + 1) / Math.Max(1, chunks);
            var xhat = new float[n]; var gxh = new float[n];
            for (long r = s; r < e; r++)
            {
                var xr = new ReadOnlySpan<float>(xa, (int)(xOffset + r * n), n);
                var gr = new ReadOnlySpan<float>(ga, (int)(gyOffset + r * n), n);
                var or = new Span<float>(oa, (int)(gxOffset + r * n), n);
                float rs = ra[r];
                TensorPrimitives.Subtract(xr, ma[r], xhat);
                TensorPrimitives.Multiply(xhat, rs, xhat);
                if (partW != null) TensorPrimitives.MultiplyAdd(gr, xhat, partW.AsSpan(c * n, n), partW.AsSpan(c * n, n));
                if (partB != null) TensorPrimitives.Add(gr, partB.AsSpan(c * n, n), partB.AsSpan(c * n, n));
                if (wa != null) TensorPrimitives.Multiply(gr, new ReadOnlySpan<float>(wa, (int)wOffset, n), gxh);
                else gr.CopyTo(gxh);
                float meanG = TensorPrimitives.Sum(gxh) / n;
                float meanGX = TensorPrimitives.Dot(gxh, xhat) / n;
                // gx = rstd * (gxh - mean(gxh) - xhat * mean(gxh * xhat))
                for (int i = 0; i < n; i++) or[i] = rs * (gxh[i] - meanG - xhat[i] * meanGX);
            }
        });
        if (gw != null) MergeParts(partW!, workers, n, F(gw));
        if (gb != null) MergeParts(partB!, workers, n, F(gb));
    }

    private static void MergeParts(float[] parts, int count, int n, float[] dst)
    {
        var d = dst.AsSpan(0, n);
        parts.AsSpan(0, n).CopyTo(d);
        for (int c = 1; c < count; c++) TensorPrimitives.Add(d, parts.AsSpan(c * n, n), d);
    }

    public void ChannelStats(Storage x, long xOffset, int batch, int channels, int spatial, Storage mean, Storage var)
    {
        var xa = F(x); var ma = F(mean); var va = F(var);
        long count = (long)batch * spatial;
        CpuParallel.For(channels, count * 3, (s, e) =>
        {
            for (long c = s; c < e; c++)
            {
                double sum = 0;
                for (int b = 0; b < batch; b++)
                    sum += TensorPrimitives.Sum(new ReadOnlySpan<float>(xa, (int)(xOffset + ((long)b * channels + c) * spatial), spatial));
                float mu = (float)(sum / count);
                double sq = 0;
                for (int b = 0; b < batch; b++)
                {
                    var row = new ReadOnlySpan<float>(xa, (int)(xOffset + ((long)b * channels + c) * spatial), spatial);
                    for (int i = 0; i < row.Length; i++) { float d = row[i] - mu; sq += d * d; }
                }
                ma[c] = mu; va[c] = (float)(sq / count);
            }
        });
    }

    public void ChannelAffine(Storage x, long xOffset, int batch, int channels, int spatial, Storage scale, Storage shift, Storage y, long yOffset)
    {
        var xa = F(x); var ya = F(y); var sa = F(scale); var ta = F(shift);
        CpuParallel.For((long)batch * channels, spatial * 2L, (s, e) =>
        {
            for (long bc = s; bc < e; bc++)
            {
                long c = bc % channels;
                var xr = new ReadOnlySpan<float>(xa, (int)(xOffset + bc * spatial), spatial);
                var yr = new Span<float>(ya, (int)(yOffset + bc * spatial), spatial);
                TensorPrimitives.Multiply(xr, sa[c], yr); TensorPrimitives.Add(yr, ta[c], yr);
            }
        });
    }

    public void ChannelGradSums(Storage x, long xOffset, Storage gy, long gyOffset, int batch, int channels, int spatial, Storage sumGy, Storage sumGyX)
    {
        var xa = F(x); var ga = F(gy); var s1 = F(sumGy); var s2 = F(sumGyX);
        CpuParallel.For(channels, (long)batch * spatial * 2, (s, e) =>
        {
            for (long c = s; c < e; c++)
            {
                double a = 0, b2 = 0;
                for (int b = 0; b < batch; b++)
                {
                    long o = ((long)b * channels + c) * spatial;
                    var gr = new ReadOnlySpan<float>(ga, (int)(gyOffset + o), spatial);
                    a += TensorPrimitives.Sum(gr);
                    b2 += TensorPrimitives.Dot(gr, new ReadOnlySpan<float>(xa, (int)(xOffset + o), spatial));
                }
                s1[c] = (float)a; s2[c] = (float)b2;
            }
        });
    }
}
