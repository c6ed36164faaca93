namespace Engine.Models.Clip;

/// <summary>
/// PyTorch's bicubic resize (F.interpolate mode="bicubic", align_corners=False, no antialias) written as a matrix: per
/// axis out = R @ in with R [nOut, nIn]. It is separable and linear, so a 2-D resize of a [C, h, w] stack is
/// R_h @ X @ R_w^T: two matmuls, differentiable through MatMul's backward. Used for CLIPSeg's position-table
/// interpolation (its only bicubic resize; the table is tiny).
/// </summary>
public static class BicubicResize
{
    private const double A = -0.75;

    /// <summary>Keys cubic convolution kernel with a = -0.75 (PyTorch's upsample_bicubic2d).</summary>
    public static double Kernel(double x)
    {
        x = Math.Abs(x);
        if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
        if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
        return 0;
    }

    /// <summary>R [nOut, nIn], row-major: src = (dst + 0.5) * nIn / nOut - 0.5 (not clamped), taps floor(src)-1 .. +2
    /// with indices clamped to [0, nIn-1] (clamped taps accumulate onto the edge pixel).</summary>
    public static float[] Matrix(int nIn, int nOut)
    {
        if (nIn <= 0 || nOut <= 0) throw new ArgumentException($"Bicubic resize needs positive sizes (got {nIn} -> {nOut}).");
        var r = new double[nOut * nIn];
        double scale = (double)nIn / nOut;
        for (int o = 0; o < nOut; o++)
        {
            double src = (o + 0.5) * scale - 0.5;
            double f = Math.Floor(src), t = src - f;
            for (int k = 0; k < 4; k++)
            {
                int idx = Math.Clamp((int)f - 1 + k, 0, nIn - 1);
                r[o * nIn + idx] += Kernel(t + 1 - k); // k = 0..3: W(t+1), W(t), W(1-t), W(2-t) (W is even)
            }
        }
        return Array.ConvertAll(r, x => (float)x);
    }

    /// <summary>Resizes x [..., h, w] to [..., outH, outW] (differentiable).</summary>
    public static Tensor Resize(Tensor x, int outH, int outW)
    {
        int h = x.Shape[^2], w = x.Shape[^1];
        var rh = Tensor.FromArray(Matrix(h, outH), outH, h).To(x.Device);
        var rw = Tensor.FromArray(Matrix(w, outW), outW, w).To(x.Device);
        var y = Ops.MatMul(rh, x);               // [..., outH, w]
        return Ops.MatMul(y, rw, transB: true);  // [..., outH, outW]
    }

    /// <summary>Naive reference: explicit 4x4 taps per output pixel, in double, for a single [h, w] plane.</summary>
    public static double[] ResizeNaive(float[] plane, int h, int w, int outH, int outW)
    {
        var res = new double[outH * outW];
        for (int oy = 0; oy < outH; oy++)
        {
            double sy = (oy + 0.5) * h / outH - 0.5, fy = Math.Floor(sy), ty = sy - fy;
            for (int ox = 0; ox < outW; ox++)
            {
                double sx = (ox + 0.5) * w / outW - 0.5, fx = Math.Floor(sx), tx = sx - fx;
                double acc = 0;
                for (int ky = 0; ky < 4; ky++)
                {
                    int iy = Math.Clamp((int)fy - 1 + ky, 0, h - 1);
                    double wy = Kernel(ty + 1 - ky);
                    for (int kx = 0; kx < 4; kx++)
                    {
                        int ix = Math.Clamp((int)fx - 1 + kx, 0, w - 1);
                        acc += wy * Kernel(tx + 1 - kx) * plane[iy * w + ix];
                    }
                }
                res[oy * outW + ox] = acc;
            }
        }
        return res;
    }
}
