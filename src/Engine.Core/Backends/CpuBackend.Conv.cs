namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void Im2Col(Storage x, long xOffset, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                       int outH, int outW, Storage col, long colOffset)
    {
        var xa = F(x); var ca = F(col);
        int outHW = outH * outW;
        CpuParallel.For((long)c * kh * kw, outHW, (s, e) =>
        {
            for (long row = s; row < e; row++)
            {
                int ch = (int)(row / (kh * kw)), ki = (int)(row / kw % kh), kj = (int)(row % kw);
                long dst = colOffset + row * outHW;
                long src = xOffset + (long)ch * h * w;
                for (int oy = 0; oy < outH; oy++)
                {
                    int iy = oy * sh - ph + ki * dh;
                    long d = dst + (long)oy * outW;
                    if ((uint)iy >= (uint)h) { Array.Clear(ca, (int)d, outW); continue; }
                    long srow = src + (long)iy * w;
                    int ix0 = -pw + kj * dw;
                    if (sw == 1 && ix0 >= 0 && ix0 + outW <= w) { Array.Copy(xa, srow + ix0, ca, d, outW); continue; }
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int ix = ox * sw + ix0;
                        ca[d + ox] = (uint)ix < (uint)w ? xa[srow + ix] : 0f;
                    }
                }
            }
        });
    }

    public void Col2Im(Storage col, long colOffset, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                       int outH, int outW, Storage x, long xOffset)
    {
        var xa = F(x); var ca = F(col);
        int outHW = outH * outW;
        // Parallel over channels: the kh*kw rows of one channel write overlapping pixels, channels never overlap.
        CpuParallel.For(c, (long)kh * kw * outHW, (s, e) =>
        {
            for (long ch = s; ch < e; ch++)
            {
                long dstBase = xOffset + ch * h * w;
                for (int ki = 0; ki < kh; ki++)
                    for (int kj = 0; kj < kw; kj++)
                    {
                        long srcRow = colOffset + ((ch * kh + ki) * kw + kj) * outHW;
                        for (int oy = 0; oy < outH; oy++)
                        {
                            int iy = oy * sh - ph + ki * dh;
                            if ((uint)iy >= (uint)h) continue;
                            long d = dstBase + (long)iy * w; long sr = srcRow + (long)oy * outW;
                            int ix0 = -pw + kj * dw;
                            for (int ox = 0; ox < outW; ox++)
                            {
                                int ix = ox * sw + ix0;
                                if ((uint)ix < (uint)w) xa[d + ix] += ca[sr + ox];
                            }
                        }
                    }
            }
        });
    }
}
