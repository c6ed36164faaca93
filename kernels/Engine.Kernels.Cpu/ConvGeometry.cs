namespace Engine.Kernels.Cpu;

/// <summary>Sliding-window geometry of one image plane set: Channels x Height x Width input, KernelH x KernelW
/// window with stride, zero padding and dilation (PyTorch conventions). The im2col matrix it defines is
/// [Channels * KernelH * KernelW, OutH * OutW], row index (c * KernelH + r) * KernelW + s.</summary>
public readonly record struct ConvGeometry(int Channels, int Height, int Width, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1)
{
    public int OutH => (Height + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    public int OutW => (Width + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;
    public int ColRows => Channels * KernelH * KernelW;
    public int ColCols => OutH * OutW;

    /// <summary>True when im2col is the identity (1x1 window, stride 1, no padding): the image is the matrix.</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;

    public void Validate(string what)
    {
        if (Channels < 0 || Height <= 0 || Width <= 0 || KernelH <= 0 || KernelW <= 0)
            throw new ArgumentException($"{what}: invalid geometry {this}.");
        if (StrideH <= 0 || StrideW <= 0 || DilationH <= 0 || DilationW <= 0 || PadH < 0 || PadW < 0)
            throw new ArgumentException($"{what}: stride and dilation must be positive and padding non-negative ({this}).");
        if (OutH <= 0 || OutW <= 0)
            throw new ArgumentException($"{what}: the {KernelH}x{KernelW} window (dilation {DilationH}x{DilationW}) does not fit the padded {Height}x{Width} input.");
    }
}
