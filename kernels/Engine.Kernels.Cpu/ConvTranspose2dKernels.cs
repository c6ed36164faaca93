using System.Buffers;

namespace Engine.Kernels.Cpu;

/// <summary>Shape of a 2-D transposed convolution in PyTorch conventions: input [Batch, InChannels, Height, Width],
/// weight [InChannels, OutChannels / Groups, KernelH, KernelW], output [Batch, OutChannels, OutH, OutW] with
/// OutH = (Height - 1) * StrideH - 2 * PadH + DilationH * (KernelH - 1) + OutPadH + 1.</summary>
public readonly record struct ConvTranspose2dShape(int Batch, int InChannels, int Height, int Width, int OutChannels,
    int KernelH, int KernelW, int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0,
    int OutPadH = 0, int OutPadW = 0, int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    public int OutH => (Height - 1) * StrideH - 2 * PadH + DilationH * (KernelH - 1) + OutPadH + 1;
    public int OutW => (Width - 1) * StrideW - 2 * PadW + DilationW * (KernelW - 1) + OutPadW + 1;
    /// <summary>The forward convolution this transposes, seen from the output image: its im2col has Height x Width
    /// columns.</summary>
    public ConvGeometry Geometry => new(OutChannels / Groups, OutH, OutW, KernelH, KernelW, StrideH, StrideW, PadH, PadW, DilationH, DilationW);
    public long InputSize => (long)Batch * InChannels * Height * Width;
    public long OutputSize => (long)Batch * OutChannels * OutH * OutW;
    public long WeightSize => (long)InChannels * (OutChannels / Groups) * KernelH * KernelW;
    public double Flops => 2.0 * InputSize * (OutChannels / Groups) * KernelH * KernelW;

    public void Validate(string what)
    {
        if (Batch < 0 || InChannels <= 0 || OutChannels <= 0 || Groups <= 0 || Height <= 0 || Width <= 0)
            throw new ArgumentException($"{what}: invalid sizes {this}.");
        if (InChannels % Groups != 0 || OutChannels % Groups != 0)
            throw new ArgumentException($"{what}: groups ({Groups}) must divide in channels ({InChannels}) and out channels ({OutChannels}).");
        if (OutPadH < 0 || OutPadW < 0 || (OutPadH >= StrideH && OutPadH >= DilationH) || (OutPadW >= StrideW && OutPadW >= DilationW))
            throw new ArgumentException($"{what}: output padding ({OutPadH}, {OutPadW}) must be smaller than stride or dilation.");
        if (OutH <= 0 || OutW <= 0) throw new ArgumentException($"{what}: output size {OutH}x{OutW} is empty.");
        var g = Geometry;
        g.Validate(what);
        if (g.OutH != Height || g.OutW != Width)
            throw new ArgumentException($"{what}: output padding >= stride (allowed by PyTorch when smaller than dilation) is not supported: {this}.");
    }
}

/// <summary>Transposed convolution as GEMM + col2im (forward) and implicit-im2col GEMMs (backward), per (image, group).
/// The naive reference is <see cref="ConvReference"/>.</summary>
public static unsafe class ConvTranspose2dKernels
{
    /// <summary>output = convT(input, weight) + bias (bias may be null). Overwrites output.</summary>
    public static void Forward(in ConvTranspose2dShape s, float[] input, int inOff, float[] weight, int wOff,
        float[]? bias, int biasOff, float[] output, int outOff)
    {
        s.Validate("ConvTranspose2d");
        Im2Col.CheckLength("input", input, inOff, s.InputSize);
        Im2Col.CheckLength("weight", weight, wOff, s.WeightSize);
        Im2Col.CheckLength("output", output, outOff, s.OutputSize);
        if (bias != null) Im2Col.CheckLength("bias", bias, biasOff, s.OutChannels);
        var g = s.Geometry;
        int cig = s.InChannels / s.Groups, cog = s.OutChannels / s.Groups;
        int hw = s.Height * s.Width, ohw = s.OutH * s.OutW, rows = g.ColRows;
        float[]? col = g.IsPointwise ? null : ArrayPool<float>.Shared.Rent(rows * hw);
        try
        {
            for (int n = 0; n < s.Batch; n++)
            for (int grp = 0; grp < s.Groups; grp++)
            {
                int x0 = inOff + (n * s.InChannels + grp * cig) * hw;
                int y0 = outOff + (n * s.OutChannels + grp * cog) * ohw;
                int w0 = wOff + grp * cig * rows;
                if (col == null)
                    Gemm.Sgemm(true, false, rows, hw, cig, 1f, weight, w0, rows, input, x0, hw, 0f, output, y0, ohw);
                else
                {
                    Gemm.Sgemm(true, false, rows, hw, cig, 1f, weight, w0, rows, input, x0, hw, 0f, col, 0, hw);
                    output.AsSpan(y0, cog * ohw).Clear();
                    Im2Col.Backward(g, col, 0, output, y0);
                }
                if (bias != null)
                    for (int c = 0; c < cog; c++)
                    {
                        var plane = output.AsSpan(y0 + c * ohw, ohw);
                        System.Numerics.Tensors.TensorPrimitives.Add(plane, bias[biasOff + grp * cog + c], plane);
                    }
            }
        }
        finally { if (col != null) ArrayPool<float>.Shared.Return(col); }
    }

    /// <summary>dInput = conv(dOutput, weight) (the adjoint of Forward). Overwrites dInput.</summary>
    public static void BackwardData(in ConvTranspose2dShape s, float[] dOutput, int dOutOff, float[] weight, int wOff,
        float[] dInput, int dInOff)
    {
        s.Validate("ConvTranspose2d backward-data");
        Im2Col.CheckLength("dOutput", dOutput, dOutOff, s.OutputSize);
        Im2Col.CheckLength("weight", weight, wOff, s.WeightSize);
        Im2Col.CheckLength("dInput", dInput, dInOff, s.InputSize);
        var g = s.Geometry;
        int cig = s.InChannels / s.Groups, cog = s.OutChannels / s.Groups;
        int hw = s.Height * s.Width, ohw = s.OutH * s.OutW, rows = g.ColRows;
        fixed (float* pdy = dOutput, pw = weight, pdx = dInput)
        {
            for (int n = 0; n < s.Batch; n++)
            for (int grp = 0; grp < s.Groups; grp++)
            {
                long x0 = dInOff + ((long)n * s.InChannels + grp * cig) * hw;
                long y0 = dOutOff + ((long)n * s.OutChannels + grp * cog) * ohw;
                long w0 = wOff + (long)grp * cig * rows;
                if (g.IsPointwise)
                    Gemm.WithPacker(false, cig, hw, rows, 1f, pw + w0, rows, new MatrixPackB(pdy + y0, ohw, false), 0f, pdx + x0, hw);
                else
                    Gemm.WithPacker(false, cig, hw, rows, 1f, pw + w0, rows, new Im2ColPackB(g, pdy + y0), 0f, pdx + x0, hw);
            }
        }
    }

    /// <summary>dWeight = sum over the batch of input x im2col(dOutput)^T and dBias (when non-null) = sum of dOutput
    /// over batch and positions. Overwrites both.</summary>
    public static void BackwardWeight(in ConvTranspose2dShape s, float[] input, int inOff, float[] dOutput, int dOutOff,
        float[] dWeight, int dWOff, float[]? dBias, int dBiasOff)
    {
        s.Validate("ConvTranspose2d backward-weight");
        Im2Col.CheckLength("input", input, inOff, s.InputSize);
        Im2Col.CheckLength("dOutput", dOutput, dOutOff, s.OutputSize);
        Im2Col.CheckLength("dWeight", dWeight, dWOff, s.WeightSize);
        if (dBias != null) Im2Col.CheckLength("dBias", dBias, dBiasOff, s.OutChannels);
        var g = s.Geometry;
        int cig = s.InChannels / s.Groups, cog = s.OutChannels / s.Groups;
        int hw = s.Height * s.Width, ohw = s.OutH * s.OutW, rows = g.ColRows;
        if (s.Batch == 0) dWeight.AsSpan(dWOff, (int)s.WeightSize).Clear();
        fixed (float* px = input, pdy = dOutput, pdw = dWeight)
        {
            for (int n = 0; n < s.Batch; n++)
            for (int grp = 0; grp < s.Groups; grp++)
            {
                long x0 = inOff + ((long)n * s.InChannels + grp * cig) * hw;
                long y0 = dOutOff + ((long)n * s.OutChannels + grp * cog) * ohw;
                long w0 = dWOff + (long)grp * cig * rows;
                float beta = n == 0 ? 0f : 1f;
                if (g.IsPointwise)
                    Gemm.WithPacker(false, cig, rows, hw, 1f, px + x0, hw, new MatrixPackB(pdy + y0, ohw, true), beta, pdw + w0, rows);
                else
                    Gemm.WithPacker(false, cig, rows, hw, 1f, px + x0, hw, new Im2ColTransposedPackB(g, pdy + y0), beta, pdw + w0, rows);
            }
        }
        if (dBias != null) Conv2dKernels.BiasBackward(s.Batch, s.OutChannels, ohw, dOutput, dOutOff, dBias, dBiasOff);
    }
}
