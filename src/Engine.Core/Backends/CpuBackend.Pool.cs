namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void MaxPool2d(Storage x, long xOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW,
                          Storage y, long yOffset, Storage argmax)
    {
        var xa = F(x); var ya = F(y);
        var am = ArgmaxArray(argmax);
        CpuParallel.For(planes, (long)outH * outW * kh * kw, (s, e) =>
        {
            for (long p = s; p < e; p++)
            {
                long xb = xOffset + p * h * w, yb = p * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                {
                    int y0 = oy * sh - ph, y1 = Math.Min(y0 + kh, h); y0 = Math.Max(y0, 0);
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int x0 = ox * sw - pw, x1 = Math.Min(x0 + kw, w); x0 = Math.Max(x0, 0);
                        float best = float.NegativeInfinity; int bi = -1;
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++)
                            {
                                float v = xa[xb + iy * w + ix];
                                if (bi < 0 || v > best || float.IsNaN(v)) { best = v; bi = iy * w + ix; if (float.IsNaN(v)) goto done; }
                            }
                        done:
                        ya[yOffset + yb + oy * outW + ox] = best;
                        am[yb + oy * outW + ox] = bi;
                    }
                }
            }
        });
    }

    private static int[] ArgmaxArray(Storage s)
    {
        var cs = (CpuStorage)s;
        if (cs.DType != DType.I32) throw new ArgumentException($"MaxPool2d argmax storage must be I32, got {cs.DType}.");
        return cs.IntArray;
    }

    public void MaxPool2dBackward(Storage gy, long gyOffset, Storage argmax, int planes, int h, int w, int outH, int outW, Storage gx, long gxOffset)
    {
        var ga = F(gy); var oa = F(gx); var am = ArgmaxArray(argmax);
        CpuParallel.For(planes, (long)outH * outW, (s, e) =>
        {
            for (long p = s; p < e; p++)
            {
                long yb = p * outH * outW, xb = gxOffset + p * h * w;
                for (int i = 0; i < outH * outW; i++)
                {
                    int a = am[yb + i];
                    if (a >= 0) oa[xb + a] += ga[gyOffset + yb + i];
                }
            }
        });
    }

    private static int AvgDivisor(int y0, int x0, int kh, int kw, int h, int w, int ph, int pw, bool countIncludePad,
                                  out int ys, out int ye, out int xs, out int xe)
    {
        // PyTorch: window clipped to the padded bound for the "include pad" count, then to the image.
        int y1 = Math.Min(y0 + kh, h + ph), x1 = Math.Min(x0 + kw, w + pw);
        int poolSize = (y1 - y0) * (x1 - x0);
        ys = Math.Max(y0, 0); xs = Math.Max(x0, 0); ye = Math.Min(y1, h); xe = Math.Min(x1, w);
        return countIncludePad ? poolSize : (ye - ys) * (xe - xs);
    }

    public void AvgPool2d(Storage x, long xOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW,
                          bool countIncludePad, Storage y, long yOffset)
    {
        var xa = F(x); var ya = F(y);
        CpuParallel.For(planes, (long)outH * outW * kh * kw, (s, e) =>
        {
            for (long p = s; p < e; p++)
            {
                long xb = xOffset + p * h * w, yb = yOffset + p * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int div = AvgDivisor(oy * sh - ph, ox * sw - pw, kh, kw, h, w, ph, pw, countIncludePad, out int ys, out int ye, out int xs, out int xe);
                        float sum = 0f;
                        for (int iy = ys; iy < ye; iy++)
                            for (int ix = xs; ix < xe; ix++) sum += xa[xb + iy * w + ix];
                        ya[yb + oy * outW + ox] = div == 0 ? float.NaN : sum / div;
                    }
            }
        });
    }

    public void AvgPool2dBackward(Storage gy, long gyOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW,
                                  bool countIncludePad, Storage gx, long gxOffset)
    {
        var ga = F(gy); var oa = F(gx);
        CpuParallel.For(planes, (long)outH * outW * kh * kw, (s, e) =>
        {
            for (long p = s; p < e; p++)
            {
                long xb = gxOffset + p * h * w, yb = gyOffset + p * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int div = AvgDivisor(oy * sh - ph, ox * sw - pw, kh, kw, h, w, ph, pw, countIncludePad, out int ys, out int ye, out int xs, out int xe);
                        if (div == 0) continue;
                        float g = ga[yb + oy * outW + ox] / div;
                        for (int iy = ys; iy < ye; iy++)
                            for (int ix = xs; ix < xe; ix++) oa[xb + iy * w + ix] += g;
                    }
            }
        });
    }

    private static int AdaptiveStart(int i, int inSize, int outSize) => (int)((long)i * inSize / outSize);
    private static int AdaptiveEnd(int i, int inSize, int outSize) => (int)(((long)(i + 1) * inSize + outSize - 1) / outSize);

    public void AdaptiveAvgPool2d(Storage x, long xOffset, int planes, int h, int w, int outH, int outW, Storage y, long yOffset)
    {
        var xa = F(x); var ya = F(y);
        CpuParallel.For(planes, (long)h * w, (s, e) =>
        {
            for (long p = s; p < e; p++)
            {
                long xb = xOffset + p * h * w, yb = yOffset + p * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                {
                    int y0 = AdaptiveStart(oy, h, outH), y1 = AdaptiveEnd(oy, h, outH);
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int x0 = AdaptiveStart(ox, w, outW), x1 = AdaptiveEnd(ox, w, outW);
                        float sum = 0f;
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) sum += xa[xb + iy * w + ix];
                        ya[yb + oy * outW + ox] = sum / ((y1 - y0) * (x1 - x0));
                    }
                }
            }
        });
    }

    public void AdaptiveAvgPool2dBackward(Storage gy, long gyOffset, int planes, int h, int w, int outH, int outW, Storage gx, long gxOffset)
    {
        var ga = F(gy); var oa = F(gx);
        CpuParallel.For(planes, (long)h * w, (s, e) =>
        {
            for (long p = s; p < e; p++)
            {
                long xb = gxOffset + p * h * w, yb = gyOffset + p * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                {
                    int y0 = AdaptiveStart(oy, h, outH), y1 = AdaptiveEnd(oy, h, outH);
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int x0 = AdaptiveStart(ox, w, outW), x1 = AdaptiveEnd(ox, w, outW);
                        float g = ga[yb + oy * outW + ox] / ((y1 - y0) * (x1 - x0));
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) oa[xb + iy * w + ix] += g;
                    }
                }
            }
        });
    }
}
