namespace Engine.Backends;

/// <summary>Sizes of a batched 2-D convolution in PyTorch conventions. Conv2d: input [Batch, InChannels, Height,
/// Width], weight [OutChannels, InChannels/Groups, KernelH, KernelW]. ConvTranspose2d: input [Batch, InChannels,
/// Height, Width], weight [InChannels, OutChannels/Groups, KernelH, KernelW], output padding OutPadH/OutPadW.</summary>
public readonly record struct ConvSpec(int Batch, int InChannels, int Height, int Width, int OutChannels, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups, int OutPadH = 0, int OutPadW = 0)
{
    public int ConvOutH => (Height + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    public int ConvOutW => (Width + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;
    public int TransposedOutH => (Height - 1) * StrideH - 2 * PadH + DilationH * (KernelH - 1) + OutPadH + 1;
    public int TransposedOutW => (Width - 1) * StrideW - 2 * PadW + DilationW * (KernelW - 1) + OutPadW + 1;
    public int InPerGroup => InChannels / Groups;
    public int OutPerGroup => OutChannels / Groups;
}

/// <summary>Convolutions composed from a backend's Im2Col/Col2Im/Gemm kernels, one GEMM per (image, group). The
/// default implementation of the IBackend convolution methods (a backend with fused kernels overrides them) and
/// the reference the fast CPU kernels are checked against.</summary>
public static class ConvFallback
{
    public static void Conv2dForward(IBackend be, in ConvSpec s, Storage x, long xOff, Storage w, long wOff, Storage? bias, long bOff, Storage y, long yOff)
    {
        int oh = s.ConvOutH, ow = s.ConvOutW, ohw = oh * ow, cinG = s.InPerGroup, coutG = s.OutPerGroup, kk = cinG * s.KernelH * s.KernelW;
        long hw = (long)s.Height * s.Width;
        bool direct = IsPointwise(s);
        var col = direct ? null : be.Allocate(DType.F32, (long)kk * ohw, clear: false);
        try
        {
            for (int n = 0; n < s.Batch; n++)
                for (int g = 0; g < s.Groups; g++)
                {
                    long xo = xOff + ((long)n * s.InChannels + g * cinG) * hw;
                    Storage cs = x; long co = xo;
                    if (!direct) { Im2Col(be, s, x, xo, s.Height, s.Width, cinG, oh, ow, col!); cs = col!; co = 0; }
                    be.Gemm(false, false, coutG, ohw, kk, 1f, w, wOff + (long)g * coutG * kk, kk, cs, co, ohw, 0f, y, yOff + ((long)n * s.OutChannels + g * coutG) * ohw, ohw);
                }
        }
        finally { col?.Dispose(); }
        if (bias != null) AddBias(be, y, yOff, s.Batch, s.OutChannels, ohw, bias, bOff);
    }

    public static void Conv2dBackwardData(IBackend be, in ConvSpec s, Storage gy, long gyOff, Storage w, long wOff, Storage gx, long gxOff)
    {
        int oh = s.ConvOutH, ow = s.ConvOutW, ohw = oh * ow, cinG = s.InPerGroup, coutG = s.OutPerGroup, kk = cinG * s.KernelH * s.KernelW;
        long hw = (long)s.Height * s.Width;
        bool direct = IsPointwise(s);
        if (!direct) be.Fill(gx, gxOff, s.Batch * s.InChannels * hw, 0f);
        var gcol = direct ? null : be.Allocate(DType.F32, (long)kk * ohw, clear: false);
        try
        {
            for (int n = 0; n < s.Batch; n++)
                for (int g = 0; g < s.Groups; g++)
                {
                    long go = gyOff + ((long)n * s.OutChannels + g * coutG) * ohw, wo = wOff + (long)g * coutG * kk;
                    long xo = gxOff + ((long)n * s.InChannels + g * cinG) * hw;
                    if (direct) { be.Gemm(true, false, kk, ohw, coutG, 1f, w, wo, kk, gy, go, ohw, 0f, gx, xo, ohw); continue; }
                    be.Gemm(true, false, kk, ohw, coutG, 1f, w, wo, kk, gy, go, ohw, 0f, gcol!, 0, ohw);
                    be.Col2Im(gcol!, 0, cinG, s.Height, s.Width, s.KernelH, s.KernelW, s.StrideH, s.StrideW, s.PadH, s.PadW, s.DilationH, s.DilationW, oh, ow, gx, xo);
                }
        }
        finally { gcol?.Dispose(); }
    }

    public static void Conv2dBackwardWeight(IBackend be, in ConvSpec s, Storage x, long xOff, Storage gy, long gyOff, Storage gw, long gwOff)
    {
        int oh = s.ConvOutH, ow = s.ConvOutW, ohw = oh * ow, cinG = s.InPerGroup, coutG = s.OutPerGroup, kk = cinG * s.KernelH * s.KernelW;
        long hw = (long)s.Height * s.Width;
        bool direct = IsPointwise(s);
        be.Fill(gw, gwOff, (long)s.OutChannels * kk, 0f);
        var col = direct ? null : be.Allocate(DType.F32, (long)kk * ohw, clear: false);
        try
        {
            for (int n = 0; n < s.Batch; n++)
                for (int g = 0; g < s.Groups; g++)
                {
                    long xo = xOff + ((long)n * s.InChannels + g * cinG) * hw;
                    Storage cs = x; long co = xo;
                    if (!direct) { Im2Col(be, s, x, xo, s.Height, s.Width, cinG, oh, ow, col!); cs = col!; co = 0; }
                    be.Gemm(false, true, coutG, kk, ohw, 1f, gy, gyOff + ((long)n * s.OutChannels + g * coutG) * ohw, ohw, cs, co, ohw, 1f, gw, gwOff + (long)g * coutG * kk, kk);
                }
        }
        finally { col?.Dispose(); }
    }

    public static void ConvTranspose2dForward(IBackend be, in ConvSpec s, Storage x, long xOff, Storage w, long wOff, Storage? bias, long bOff, Storage y, long yOff)
    {
        int oh = s.TransposedOutH, ow = s.TransposedOutW, ohw = oh * ow, hw = s.Height * s.Width, cinG = s.InPerGroup, coutG = s.OutPerGroup;
        int kk = coutG * s.KernelH * s.KernelW;
        be.Fill(y, yOff, (long)s.Batch * s.OutChannels * ohw, 0f);
        var col = be.Allocate(DType.F32, (long)kk * hw, clear: false);
        try
        {
            for (int n = 0; n < s.Batch; n++)
                for (int g = 0; g < s.Groups; g++)
                {
                    // col [kk, hw] = W_g^T [kk, cinG] @ x_g [cinG, hw]; col2im scatters it into the (larger) output.
                    be.Gemm(true, false, kk, hw, cinG, 1f, w, wOff + (long)g * cinG * kk, kk, x, xOff + ((long)n * s.InChannels + g * cinG) * hw, hw, 0f, col, 0, hw);
                    be.Col2Im(col, 0, coutG, oh, ow, s.KernelH, s.KernelW, s.StrideH, s.StrideW, s.PadH, s.PadW, s.DilationH, s.DilationW, s.Height, s.Width,
                              y, yOff + ((long)n * s.OutChannels + g * coutG) * ohw);
                }
        }
        finally { col.Dispose(); }
        if (bias != null) AddBias(be, y, yOff, s.Batch, s.OutChannels, ohw, bias, bOff);
    }

    public static void ConvTranspose2dBackwardData(IBackend be, in ConvSpec s, Storage gy, long gyOff, Storage w, long wOff, Storage gx, long gxOff)
    {
        int oh = s.TransposedOutH, ow = s.TransposedOutW, ohw = oh * ow, hw = s.Height * s.Width, cinG = s.InPerGroup, coutG = s.OutPerGroup;
        int kk = coutG * s.KernelH * s.KernelW;
        var gcol = be.Allocate(DType.F32, (long)kk * hw, clear: false);
        try
        {
            for (int n = 0; n < s.Batch; n++)
                for (int g = 0; g < s.Groups; g++)
                {
                    be.Im2Col(gy, gyOff + ((long)n * s.OutChannels + g * coutG) * ohw, coutG, oh, ow, s.KernelH, s.KernelW, s.StrideH, s.StrideW,
                              s.PadH, s.PadW, s.DilationH, s.DilationW, s.Height, s.Width, gcol, 0);
                    be.Gemm(false, false, cinG, hw, kk, 1f, w, wOff + (long)g * cinG * kk, kk, gcol, 0, hw, 0f, gx, gxOff + ((long)n * s.InChannels + g * cinG) * hw, hw);
                }
        }
        finally { gcol.Dispose(); }
    }

    public static void ConvTranspose2dBackwardWeight(IBackend be, in ConvSpec s, Storage x, long xOff, Storage gy, long gyOff, Storage gw, long gwOff)
    {
        int oh = s.TransposedOutH, ow = s.TransposedOutW, ohw = oh * ow, hw = s.Height * s.Width, cinG = s.InPerGroup, coutG = s.OutPerGroup;
        int kk = coutG * s.KernelH * s.KernelW;
        be.Fill(gw, gwOff, (long)s.InChannels * kk, 0f);
        var gcol = be.Allocate(DType.F32, (long)kk * hw, clear: false);
        try
        {
            for (int n = 0; n < s.Batch; n++)
                for (int g = 0; g < s.Groups; g++)
                {
                    be.Im2Col(gy, gyOff + ((long)n * s.OutChannels + g * coutG) * ohw, coutG, oh, ow, s.KernelH, s.KernelW, s.StrideH, s.StrideW,
                              s.PadH, s.PadW, s.DilationH, s.DilationW, s.Height, s.Width, gcol, 0);
                    be.Gemm(false, true, cinG, kk, hw, 1f, x, xOff + ((long)n * s.InChannels + g * cinG) * hw, hw, gcol, 0, hw, 1f, gw, gwOff + (long)g * cinG * kk, kk);
                }
        }
        finally { gcol.Dispose(); }
    }

    private static bool IsPointwise(in ConvSpec s)
        => s.KernelH == 1 && s.KernelW == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0;

    private static void Im2Col(IBackend be, in ConvSpec s, Storage x, long xo, int h, int w, int c, int oh, int ow, Storage col)
        => be.Im2Col(x, xo, c, h, w, s.KernelH, s.KernelW, s.StrideH, s.StrideW, s.PadH, s.PadW, s.DilationH, s.DilationW, oh, ow, col, 0);

    private static void AddBias(IBackend be, Storage y, long yOff, int batch, int channels, int spatial, Storage bias, long bOff)
    {
        // y = y * 1 + b[c], in place (ChannelAffine reads scale/shift from offset 0: copy the bias when offset)
        var ones = be.Allocate(DType.F32, channels, clear: false);
        var b = bias;
        Storage? tmp = null;
        if (bOff != 0)
        {
            tmp = be.Allocate(DType.F32, channels, clear: false);
            be.CopyStrided(bias, bOff, new long[] { 1 }, new[] { channels }, tmp, 0, new long[] { 1 });
            b = tmp;
        }
        try
        {
            be.Fill(ones, 0, channels, 1f);
            be.ChannelAffine(y, yOff, batch, channels, spatial, ones, b, y, yOff);
        }
        finally { ones.Dispose(); tmp?.Dispose(); }
    }
}
