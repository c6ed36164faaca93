namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void Interpolate2d(InterpolationMode mode, bool alignCorners, Storage x, long xOffset, int planes, int h, int w, int outH, int outW,
                              Storage y, long yOffset)
    {
        var xa = F(x); var ya = F(y);
        int t = InterpolationTaps.TapCount(mode);
        var iy = new int[outH * t]; var wy = new float[outH * t]; var ix = new int[outW * t]; var wx = new float[outW * t];
        InterpolationTaps.Compute(mode, alignCorners, h, outH, iy, wy);
        InterpolationTaps.Compute(mode, alignCorners, w, outW, ix, wx);
        CpuParallel.For(planes, (long)outH * outW * t * t, (s, e) =>
        {
            for (long p = s; p < e; p++)
            {
                long xb = xOffset + p * h * w, yb = yOffset + p * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                    for (int ox = 0; ox < outW; ox++)
                    {
                        // Horizontal taps per source row first, then vertical (PyTorch's order for bicubic).
                        float acc = 0f;
                        for (int a = 0; a < t; a++)
                        {
                            long row = xb + (long)iy[oy * t + a] * w;
                            float r = 0f;
                            for (int b = 0; b < t; b++) r += wx[ox * t + b] * xa[row + ix[ox * t + b]];
                            acc += wy[oy * t + a] * r;
                        }
                        ya[yb + oy * outW + ox] = acc;
                    }
            }
        });
    }

    public void Interpolate2dBackward(InterpolationMode mode, bool alignCorners, Storage gy, long gyOffset, int planes, int h, int w, int outH, int outW,
                                      Storage gx, long gxOffset)
    {
        var ga = F(gy); var oa = F(gx);
        int t = InterpolationTaps.TapCount(mode);
        var iy = new int[outH * t]; var wy = new float[outH * t]; var ix = new int[outW * t]; var wx = new float[outW * t];
        InterpolationTaps.Compute(mode, alignCorners, h, outH, iy, wy);
        InterpolationTaps.Compute(mode, alignCorners, w, outW, ix, wx);
        CpuParallel.For(planes, (long)outH * outW * t * t, (s, e) =>
        {
            for (long p = s; p < e; p++)
            {
                long xb = gxOffset + p * h * w, yb = gyOffset + p * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                    for (int ox = 0; ox < outW; ox++)
                    {
                        float g = ga[yb + oy * outW + ox];
                        for (int a = 0; a < t; a++)
                        {
                            long row = xb + (long)iy[oy * t + a] * w;
                            float ga2 = g * wy[oy * t + a];
                            for (int b = 0; b < t; b++) oa[row + ix[ox * t + b]] += ga2 * wx[ox * t + b];
                        }
                    }
            }
        });
    }
}
