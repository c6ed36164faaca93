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

public sealed partial class CpuBackend
{
    // Batched convolutions on the implicit-GEMM kernels of Engine.Kernels.Cpu (the im2col matrix is packed straight
    // into the GEMM panels). Offsets are int there: storages above 2^31 elements do not exist on the host anyway.

    private static Kernels.Cpu.Conv2dShape Conv2dShapeOf(in ConvSpec s) => new(s.Batch, s.InChannels, s.Height, s.Width, s.OutChannels,
        s.KernelH, s.KernelW, s.StrideH, s.StrideW, s.PadH, s.PadW, s.DilationH, s.DilationW, s.Groups);

    private static Kernels.Cpu.ConvTranspose2dShape ConvT2dShapeOf(in ConvSpec s) => new(s.Batch, s.InChannels, s.Height, s.Width, s.OutChannels,
        s.KernelH, s.KernelW, s.StrideH, s.StrideW, s.PadH, s.PadW, s.OutPadH, s.OutPadW, s.DilationH, s.DilationW, s.Groups);

    /// <summary>The transposed-conv kernels need the forward geometry to map back onto the input exactly, which fails
    /// when output padding is at least the stride (legal in PyTorch when it is smaller than the dilation).</summary>
    private static bool TransposedKernelFits(in ConvSpec s) => s.OutPadH < s.StrideH && s.OutPadW < s.StrideW;

    public void Conv2dForward(in ConvSpec s, Storage x, long xOffset, Storage w, long wOffset, Storage? bias, long biasOffset, Storage y, long yOffset)
        => Kernels.Cpu.Conv2dKernels.Forward(Conv2dShapeOf(s), F(x), (int)xOffset, F(w), (int)wOffset, bias is null ? null : F(bias), (int)biasOffset, F(y), (int)yOffset);

    public void Conv2dBackwardData(in ConvSpec s, Storage gy, long gyOffset, Storage w, long wOffset, Storage gx, long gxOffset)
        => Kernels.Cpu.Conv2dKernels.BackwardData(Conv2dShapeOf(s), F(gy), (int)gyOffset, F(w), (int)wOffset, F(gx), (int)gxOffset);

    public void Conv2dBackwardWeight(in ConvSpec s, Storage x, long xOffset, Storage gy, long gyOffset, Storage gw, long gwOffset)
        => Kernels.Cpu.Conv2dKernels.BackwardWeight(Conv2dShapeOf(s), F(x), (int)xOffset, F(gy), (int)gyOffset, F(gw), (int)gwOffset, null, 0);

    public void ConvTranspose2dForward(in ConvSpec s, Storage x, long xOffset, Storage w, long wOffset, Storage? bias, long biasOffset, Storage y, long yOffset)
    {
        if (!TransposedKernelFits(s)) { ConvFallback.ConvTranspose2dForward(this, s, x, xOffset, w, wOffset, bias, biasOffset, y, yOffset); return; }
        Kernels.Cpu.ConvTranspose2dKernels.Forward(ConvT2dShapeOf(s), F(x), (int)xOffset, F(w), (int)wOffset, bias is null ? null : F(bias), (int)biasOffset, F(y), (int)yOffset);
    }

    public void ConvTranspose2dBackwardData(in ConvSpec s, Storage gy, long gyOffset, Storage w, long wOffset, Storage gx, long gxOffset)
    {
        if (!TransposedKernelFits(s)) { ConvFallback.ConvTranspose2dBackwardData(this, s, gy, gyOffset, w, wOffset, gx, gxOffset); return; }
        Kernels.Cpu.ConvTranspose2dKernels.BackwardData(ConvT2dShapeOf(s), F(gy), (int)gyOffset, F(w), (int)wOffset, F(gx), (int)gxOffset);
    }

    public void ConvTranspose2dBackwardWeight(in ConvSpec s, Storage x, long xOffset, Storage gy, long gyOffset, Storage gw, long gwOffset)
    {
        if (!TransposedKernelFits(s)) { ConvFallback.ConvTranspose2dBackwardWeight(this, s, x, xOffset, gy, gyOffset, gw, gwOffset); return; }
        Kernels.Cpu.ConvTranspose2dKernels.BackwardWeight(ConvT2dShapeOf(s), F(x), (int)xOffset, F(gy), (int)gyOffset, F(gw), (int)gwOffset, null, 0);
    }
}
