using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>Pooling geometry over [N*C planes, H, W] -> [planes, OH, OW].</summary>
public struct PoolGeometry
{
    public int Planes, H, W, OH, OW, KH, KW, SH, SW, PH, PW, CountIncludePad;

    /// <summary>PyTorch's output size: floor or ceil of (in + 2p - k) / s + 1, and with ceil mode the last window
    /// must start inside the input or left padding.</summary>
    public static int OutputSize(int input, int k, int s, int p, bool ceil)
    {
        int num = input + 2 * p - k;
        int o = (ceil ? (num + s - 1) / s : num / s) + 1;
        if (ceil && (o - 1) * s >= input + p) o--;
        return o;
    }

    public static PoolGeometry Create(int planes, int h, int w, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding, bool ceilMode, bool countIncludePad = true)
    {
        if (kernel.h <= 0 || kernel.w <= 0 || stride.h <= 0 || stride.w <= 0 || padding.h < 0 || padding.w < 0)
            throw new ArgumentException($"Invalid pooling kernel {kernel}, stride {stride}, padding {padding}.");
        if (padding.h * 2 > kernel.h || padding.w * 2 > kernel.w) throw new ArgumentException($"Pool padding {padding} must be at most half the kernel {kernel}.");
        var g = new PoolGeometry
        {
            Planes = planes, H = h, W = w, KH = kernel.h, KW = kernel.w, SH = stride.h, SW = stride.w, PH = padding.h, PW = padding.w,
            OH = OutputSize(h, kernel.h, stride.h, padding.h, ceilMode), OW = OutputSize(w, kernel.w, stride.w, padding.w, ceilMode),
            CountIncludePad = countIncludePad ? 1 : 0,
        };
        if (g.OH <= 0 || g.OW <= 0) throw new ArgumentException($"Pooling output would be empty for input {h} x {w}.");
        return g;
    }

    public readonly long InCount => (long)Planes * H * W;
    public readonly long OutCount => (long)Planes * OH * OW;
}

/// <summary>max / avg / adaptive-avg pooling on NCHW, forward and backward (backward scatters with float atomics,
/// since windows may overlap).</summary>
public static class Pool
{
    [GpuKernel]
    public static void MaxForwardKernel(Index1D e, ArrayView<float> x, ArrayView<float> y, ArrayView<int> arg, PoolGeometry g)
    {
        int ow = e % g.OW, oh = (e / g.OW) % g.OH, plane = e / (g.OW * g.OH);
        long b = (long)plane * g.H * g.W;
        float best = GpuMath.NegInf; int bi = -1;
        for (int kh = 0; kh < g.KH; kh++)
        {
            int ih = oh * g.SH - g.PH + kh;
            if (ih < 0 || ih >= g.H) continue;
            for (int kw = 0; kw < g.KW; kw++)
            {
                int iw = ow * g.SW - g.PW + kw;
                if (iw < 0 || iw >= g.W) continue;
                float v = x[b + ih * g.W + iw];
                if (v > best || bi < 0 || float.IsNaN(v)) { best = v; bi = ih * g.W + iw; if (float.IsNaN(v)) { kh = g.KH; break; } }
            }
        }
        y[e] = best; arg[e] = bi;
    }

    [GpuKernel]
    public static void MaxBackwardKernel(Index1D e, ArrayView<float> g, ArrayView<int> arg, ArrayView<float> gx, PoolGeometry geo)
    {
        int a = arg[e];
        if (a < 0) return;
        int plane = e / (geo.OW * geo.OH);
        Atomic.Add(ref gx[(long)plane * geo.H * geo.W + a], g[e]);
    }

    [GpuKernel]
    public static void AvgForwardKernel(Index1D e, ArrayView<float> x, ArrayView<float> y, PoolGeometry g)
    {
        int ow = e % g.OW, oh = (e / g.OW) % g.OH, plane = e / (g.OW * g.OH);
        int h0 = oh * g.SH - g.PH, w0 = ow * g.SW - g.PW;
        int h1 = GpuMathInt.Min(h0 + g.KH, g.H + g.PH), w1 = GpuMathInt.Min(w0 + g.KW, g.W + g.PW);
        int poolSize = (h1 - h0) * (w1 - w0);
        h0 = GpuMathInt.Max(h0, 0); w0 = GpuMathInt.Max(w0, 0); h1 = GpuMathInt.Min(h1, g.H); w1 = GpuMathInt.Min(w1, g.W);
        int div = g.CountIncludePad != 0 ? poolSize : (h1 - h0) * (w1 - w0);
        long b = (long)plane * g.H * g.W;
        float acc = 0f;
        for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) acc += x[b + ih * g.W + iw];
        y[e] = div > 0 ? acc / div : 0f;
    }

    [GpuKernel]
    public static void AvgBackwardKernel(Index1D e, ArrayView<float> gy, ArrayView<float> gx, PoolGeometry g)
    {
        int ow = e % g.OW, oh = (e / g.OW) % g.OH, plane = e / (g.OW * g.OH);
        int h0 = oh * g.SH - g.PH, w0 = ow * g.SW - g.PW;
        int h1 = GpuMathInt.Min(h0 + g.KH, g.H + g.PH), w1 = GpuMathInt.Min(w0 + g.KW, g.W + g.PW);
        int poolSize = (h1 - h0) * (w1 - w0);
        h0 = GpuMathInt.Max(h0, 0); w0 = GpuMathInt.Max(w0, 0); h1 = GpuMathInt.Min(h1, g.H); w1 = GpuMathInt.Min(w1, g.W);
        int div = g.CountIncludePad != 0 ? poolSize : (h1 - h0) * (w1 - w0);
        if (div <= 0) return;
        float v = gy[e] / div;
        long b = (long)plane * g.H * g.W;
        for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) Atomic.Add(ref gx[b + ih * g.W + iw], v);
    }

    /// <summary>Adaptive average pooling: window [floor(o*in/out), ceil((o+1)*in/out)).</summary>
    [GpuKernel]
    public static void AdaptiveAvgForwardKernel(Index1D e, ArrayView<float> x, ArrayView<float> y, PoolGeometry g)
    {
        int ow = e % g.OW, oh = (e / g.OW) % g.OH, plane = e / (g.OW * g.OH);
        int h0 = oh * g.H / g.OH, h1 = ((oh + 1) * g.H + g.OH - 1) / g.OH;
        int w0 = ow * g.W / g.OW, w1 = ((ow + 1) * g.W + g.OW - 1) / g.OW;
        long b = (long)plane * g.H * g.W;
        float acc = 0f;
        for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) acc += x[b + ih * g.W + iw];
        y[e] = acc / ((h1 - h0) * (w1 - w0));
    }

    [GpuKernel]
    public static void AdaptiveAvgBackwardKernel(Index1D e, ArrayView<float> gy, ArrayView<float> gx, PoolGeometry g)
    {
        int ow = e % g.OW, oh = (e / g.OW) % g.OH, plane = e / (g.OW * g.OH);
        int h0 = oh * g.H / g.OH, h1 = ((oh + 1) * g.H + g.OH - 1) / g.OH;
        int w0 = ow * g.W / g.OW, w1 = ((ow + 1) * g.W + g.OW - 1) / g.OW;
        float v = gy[e] / ((h1 - h0) * (w1 - w0));
        long b = (long)plane * g.H * g.W;
        for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) Atomic.Add(ref gx[b + ih * g.W + iw], v);
    }

    private static void CheckIo(PoolGeometry g, ArrayView<float> x, ArrayView<float> y)
    {
        Check.Positive(g.Planes, "planes");
        Check.Fits(x, g.InCount, "x"); Check.Fits(y, g.OutCount, "y");
    }

    /// <summary>argmax [planes, OH, OW] (I32 flat index within the plane) is kept for backward.</summary>
    public static void MaxForward(GpuDevice dev, PoolGeometry g, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax)
    {
        CheckIo(g, x, y); Check.Fits(argmax, g.OutCount, "argmax");
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<int>, PoolGeometry>(MaxForwardKernel)(Check.ToInt(g.OutCount, "outputs"), x, y, argmax, g);
    }

    /// <summary>gx is overwritten.</summary>
    public static void MaxBackward(GpuDevice dev, PoolGeometry g, ArrayView<float> gy, ArrayView<int> argmax, ArrayView<float> gx, bool zeroFirst = true)
    {
        CheckIo(g, gx, gy); Check.Fits(argmax, g.OutCount, "argmax");
        if (zeroFirst) gx.SubView(0, g.InCount).MemSetToZero(dev.Stream);
        dev.Auto<ArrayView<float>, ArrayView<int>, ArrayView<float>, PoolGeometry>(MaxBackwardKernel)(Check.ToInt(g.OutCount, "outputs"), gy, argmax, gx, g);
    }

    public static void AvgForward(GpuDevice dev, PoolGeometry g, ArrayView<float> x, ArrayView<float> y)
    {
        CheckIo(g, x, y);
        dev.Auto<ArrayView<float>, ArrayView<float>, PoolGeometry>(AvgForwardKernel)(Check.ToInt(g.OutCount, "outputs"), x, y, g);
    }

    public static void AvgBackward(GpuDevice dev, PoolGeometry g, ArrayView<float> gy, ArrayView<float> gx, bool zeroFirst = true)
    {
        CheckIo(g, gx, gy);
        if (zeroFirst) gx.SubView(0, g.InCount).MemSetToZero(dev.Stream);
        dev.Auto<ArrayView<float>, ArrayView<float>, PoolGeometry>(AvgBackwardKernel)(Check.ToInt(g.OutCount, "outputs"), gy, gx, g);
    }

    public static PoolGeometry Adaptive(int planes, int h, int w, int oh, int ow)
    {
        if (oh <= 0 || ow <= 0 || h <= 0 || w <= 0) throw new ArgumentException($"Invalid adaptive pooling {h}x{w} -> {oh}x{ow}.");
        return new PoolGeometry { Planes = planes, H = h, W = w, OH = oh, OW = ow };
    }

    public static void AdaptiveAvgForward(GpuDevice dev, PoolGeometry g, ArrayView<float> x, ArrayView<float> y)
    {
        CheckIo(g, x, y);
        dev.Auto<ArrayView<float>, ArrayView<float>, PoolGeometry>(AdaptiveAvgForwardKernel)(Check.ToInt(g.OutCount, "outputs"), x, y, g);
    }

    public static void AdaptiveAvgBackward(GpuDevice dev, PoolGeometry g, ArrayView<float> gy, ArrayView<float> gx, bool zeroFirst = true)
    {
        CheckIo(g, gx, gy);
        if (zeroFirst) gx.SubView(0, g.InCount).MemSetToZero(dev.Stream);
        dev.Auto<ArrayView<float>, ArrayView<float>, PoolGeometry>(AdaptiveAvgBackwardKernel)(Check.ToInt(g.OutCount, "outputs"), gy, gx, g);
    }
}

internal static class GpuMathInt
{
    public static int Min(int a, int b) => a < b ? a : b;
    public static int Max(int a, int b) => a > b ? a : b;
}
