using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

public enum InterpMode { Nearest, Bilinear, Bicubic }

public struct InterpParams
{
    public int Planes, H, W, OH, OW, Mode, AlignCorners;
    public float ScaleH, ScaleW;
}

/// <summary>
/// F.interpolate on [planes, H, W] (no antialias) with PyTorch's exact index arithmetic: nearest uses
/// floor(dst * in/out); bilinear and bicubic map dst to src as (dst + 0.5) * in/out - 0.5 (bilinear clamps below at
/// 0), or dst * (in-1)/(out-1) with align_corners; bicubic uses a = -0.75 and clamps its four taps to the border.
/// Backward scatters with float atomics.
/// </summary>
public static class Interpolate
{
    private const float A = -0.75f;

    private static float Cubic1(float x) => ((A + 2f) * x - (A + 3f)) * x * x + 1f;
    private static float Cubic2(float x) => ((A * x - 5f * A) * x + 8f * A) * x - 4f * A;

    private static float SourceIndex(float scale, int dst, int alignCorners, int cubic)
    {
        if (alignCorners != 0) return scale * dst;
        float s = scale * (dst + 0.5f) - 0.5f;
        return cubic == 0 && s < 0f ? 0f : s;
    }

    private static int Clamp(int v, int hi) => v < 0 ? 0 : (v > hi ? hi : v);

    private static int NearestIndex(float scale, int dst, int inSize)
    {
        int s = (int)MathF.Floor(dst * scale);
        return s < inSize - 1 ? s : inSize - 1;
    }

    [GpuKernel]
    public static void ForwardKernel(Index1D e, ArrayView<float> x, ArrayView<float> y, InterpParams p)
    {
        int ow = e % p.OW, oh = (e / p.OW) % p.OH, plane = e / (p.OW * p.OH);
        long b = (long)plane * p.H * p.W;
        if (p.Mode == (int)InterpMode.Nearest)
        {
            y[e] = x[b + NearestIndex(p.ScaleH, oh, p.H) * p.W + NearestIndex(p.ScaleW, ow, p.W)];
        }
        else if (p.Mode == (int)InterpMode.Bilinear)
        {
            float sh = SourceIndex(p.ScaleH, oh, p.AlignCorners, 0), sw = SourceIndex(p.ScaleW, ow, p.AlignCorners, 0);
            int h0 = (int)sh, w0 = (int)sw;
            int h1 = h0 < p.H - 1 ? h0 + 1 : h0, w1 = w0 < p.W - 1 ? w0 + 1 : w0;
            float lh = sh - h0, lw = sw - w0;
            y[e] = (1f - lh) * ((1f - lw) * x[b + h0 * p.W + w0] + lw * x[b + h0 * p.W + w1])
                 + lh * ((1f - lw) * x[b + h1 * p.W + w0] + lw * x[b + h1 * p.W + w1]);
        }
        else
        {
            float sh = SourceIndex(p.ScaleH, oh, p.AlignCorners, 1), sw = SourceIndex(p.ScaleW, ow, p.AlignCorners, 1);
            float fh = MathF.Floor(sh), fw = MathF.Floor(sw);
            int ih = (int)fh, iw = (int)fw;
            float th = sh - fh, tw = sw - fw;
            float wh0 = Cubic2(th + 1f), wh1 = Cubic1(th), wh2 = Cubic1(1f - th), wh3 = Cubic2(2f - th);
            float ww0 = Cubic2(tw + 1f), ww1 = Cubic1(tw), ww2 = Cubic1(1f - tw), ww3 = Cubic2(2f - tw);
            float acc = 0f;
            for (int i = 0; i < 4; i++)
            {
                int r = Clamp(ih - 1 + i, p.H - 1);
                long rb = b + (long)r * p.W;
                float row = ww0 * x[rb + Clamp(iw - 1, p.W - 1)] + ww1 * x[rb + Clamp(iw, p.W - 1)]
                          + ww2 * x[rb + Clamp(iw + 1, p.W - 1)] + ww3 * x[rb + Clamp(iw + 2, p.W - 1)];
                float wh = i == 0 ? wh0 : (i == 1 ? wh1 : (i == 2 ? wh2 : wh3));
                acc += wh * row;
            }
            y[e] = acc;
        }
    }

    [GpuKernel]
    public static void BackwardKernel(Index1D e, ArrayView<float> gy, ArrayView<float> gx, InterpParams p)
    {
        int ow = e % p.OW, oh = (e / p.OW) % p.OH, plane = e / (p.OW * p.OH);
        long b = (long)plane * p.H * p.W;
        float g = gy[e];
        if (p.Mode == (int)InterpMode.Nearest)
        {
            Atomic.Add(ref gx[b + NearestIndex(p.ScaleH, oh, p.H) * p.W + NearestIndex(p.ScaleW, ow, p.W)], g);
        }
        else if (p.Mode == (int)InterpMode.Bilinear)
        {
            float sh = SourceIndex(p.ScaleH, oh, p.AlignCorners, 0), sw = SourceIndex(p.ScaleW, ow, p.AlignCorners, 0);
            int h0 = (int)sh, w0 = (int)sw;
            int h1 = h0 < p.H - 1 ? h0 + 1 : h0, w1 = w0 < p.W - 1 ? w0 + 1 : w0;
            float lh = sh - h0, lw = sw - w0;
            Atomic.Add(ref gx[b + h0 * p.W + w0], g * (1f - lh) * (1f - lw));
            Atomic.Add(ref gx[b + h0 * p.W + w1], g * (1f - lh) * lw);
            Atomic.Add(ref gx[b + h1 * p.W + w0], g * lh * (1f - lw));
            Atomic.Add(ref gx[b + h1 * p.W + w1], g * lh * lw);
        }
        else
        {
            float sh = SourceIndex(p.ScaleH, oh, p.AlignCorners, 1), sw = SourceIndex(p.ScaleW, ow, p.AlignCorners, 1);
            float fh = MathF.Floor(sh), fw = MathF.Floor(sw);
            int ih = (int)fh, iw = (int)fw;
            float th = sh - fh, tw = sw - fw;
            float wh0 = Cubic2(th + 1f), wh1 = Cubic1(th), wh2 = Cubic1(1f - th), wh3 = Cubic2(2f - th);
            float ww0 = Cubic2(tw + 1f), ww1 = Cubic1(tw), ww2 = Cubic1(1f - tw), ww3 = Cubic2(2f - tw);
            for (int i = 0; i < 4; i++)
            {
                int r = Clamp(ih - 1 + i, p.H - 1);
                long rb = b + (long)r * p.W;
                float wh = g * (i == 0 ? wh0 : (i == 1 ? wh1 : (i == 2 ? wh2 : wh3)));
                Atomic.Add(ref gx[rb + Clamp(iw - 1, p.W - 1)], wh * ww0);
                Atomic.Add(ref gx[rb + Clamp(iw, p.W - 1)], wh * ww1);
                Atomic.Add(ref gx[rb + Clamp(iw + 1, p.W - 1)], wh * ww2);
                Atomic.Add(ref gx[rb + Clamp(iw + 2, p.W - 1)], wh * ww3);
            }
        }
    }

    /// <summary>PyTorch's scale per axis (float arithmetic, as its CPU/CUDA kernels for float tensors).</summary>
    public static InterpParams Create(int planes, int h, int w, int oh, int ow, InterpMode mode, bool alignCorners)
    {
        if (planes <= 0 || h <= 0 || w <= 0 || oh <= 0 || ow <= 0) throw new ArgumentException($"Invalid interpolation {h}x{w} -> {oh}x{ow} over {planes} planes.");
        if (mode == InterpMode.Nearest && alignCorners) throw new ArgumentException("align_corners is only valid for bilinear and bicubic interpolation.");
        static float Scale(int i, int o, bool ac) => ac ? (o > 1 ? (float)(i - 1) / (o - 1) : 0f) : (float)i / o;
        return new InterpParams
        {
            Planes = planes, H = h, W = w, OH = oh, OW = ow, Mode = (int)mode, AlignCorners = alignCorners ? 1 : 0,
            ScaleH = Scale(h, oh, alignCorners), ScaleW = Scale(w, ow, alignCorners),
        };
    }

    public static void Forward(GpuDevice dev, InterpParams p, ArrayView<float> x, ArrayView<float> y)
    {
        Check.Fits(x, (long)p.Planes * p.H * p.W, "x"); Check.Fits(y, (long)p.Planes * p.OH * p.OW, "y");
        dev.Auto<ArrayView<float>, ArrayView<float>, InterpParams>(ForwardKernel)(Check.ToInt((long)p.Planes * p.OH * p.OW, "outputs"), x, y, p);
    }

    /// <summary>gx is overwritten.</summary>
    public static void Backward(GpuDevice dev, InterpParams p, ArrayView<float> gy, ArrayView<float> gx, bool zeroFirst = true)
    {
        Check.Fits(gx, (long)p.Planes * p.H * p.W, "grad_x"); Check.Fits(gy, (long)p.Planes * p.OH * p.OW, "grad_y");
        if (zeroFirst) gx.SubView(0, (long)p.Planes * p.H * p.W).MemSetToZero(dev.Stream);
        dev.Auto<ArrayView<float>, ArrayView<float>, InterpParams>(BackwardKernel)(Check.ToInt((long)p.Planes * p.OH * p.OW, "outputs"), gy, gx, p);
    }
}
