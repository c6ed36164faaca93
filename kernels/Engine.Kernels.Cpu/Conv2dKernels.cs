using System.Buffers;

namespace Engine.Kernels.Cpu;

/// <summary>Shape of a 2-D convolution in PyTorch conventions: input [Batch, InChannels, Height, Width], weight
/// [OutChannels, InChannels / Groups, KernelH, KernelW], output [Batch, OutChannels, OutH, OutW].</summary>
public readonly record struct Conv2dShape(int Batch, int InChannels, int Height, int Width, int OutChannels,
    int KernelH, int KernelW, int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0,
    int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    /// <summary>Window geometry over one group's input channels.</summary>
    public ConvGeometry Geometry => new(InChannels / Groups, Height, Width, KernelH, KernelW, StrideH, StrideW, PadH, PadW, DilationH, DilationW);
    public int OutH => Geometry.OutH;
    public int OutW => Geometry.OutW;
    public long InputSize => (long)Batch * InChannels * Height * Width;
    public long OutputSize => (long)Batch * OutChannels * OutH * OutW;
    public long WeightSize => (long)OutChannels * (InChannels / Groups) * KernelH * KernelW;
    /// <summary>Multiply-adds x 2 of the forward pass.</summary>
    public double Flops => 2.0 * OutputSize * (InChannels / Groups) * KernelH * KernelW;

    public void Validate(string what)
    {
        if (Batch < 0 || InChannels <= 0 || OutChannels <= 0 || Groups <= 0)
            throw new ArgumentException($"{what}: invalid sizes {this}.");
        if (InChannels % Groups != 0 || OutChannels % Groups != 0)
            throw new ArgumentException($"{what}: groups ({Groups}) must divide in channels ({InChannels}) and out channels ({OutChannels}).");
        Geometry.Validate(what);
    }
}

/// <summary>Conv2d forward, backward-data and backward-weight as implicit GEMMs per (image, group): the im2col
/// matrix is packed straight from the image into the GEMM panels (<see cref="Im2ColPackB"/>), never materialised.
/// Stride-1 backward-data runs as a forward convolution of dOutput with the flipped, transposed weights; other
/// strides use GEMM + col2im. 1x1 stride-1 unpadded convolutions are plain GEMMs. The naive reference is
/// <see cref="ConvReference"/>.</summary>
public static unsafe class Conv2dKernels
{
    /// <summary>output = conv(input, weight) + bias (bias may be null). Overwrites output.</summary>
    public static void Forward(in Conv2dShape s, float[] input, int inOff, float[] weight, int wOff,
        float[]? bias, int biasOff, float[] output, int outOff)
    {
        s.Validate("Conv2d");
        Im2Col.CheckLength("input", input, inOff, s.InputSize);
        Im2Col.CheckLength("weight", weight, wOff, s.WeightSize);
        Im2Col.CheckLength("output", output, outOff, s.OutputSize);
        if (bias != null) Im2Col.CheckLength("bias", bias, biasOff, s.OutChannels);
        var g = s.Geometry;
        int cg = s.InChannels / s.Groups, kg = s.OutChannels / s.Groups;
        int hw = s.Height * s.Width, ohw = g.ColCols, kdim = g.ColRows;
        fixed (float* px = input, pw = weight, py = output)
        {
            for (int n = 0; n < s.Batch; n++)
            for (int grp = 0; grp < s.Groups; grp++)
            {
                long x0 = inOff + ((long)n * s.InChannels + grp * cg) * hw;
                long y0 = outOff + ((long)n * s.OutChannels + grp * kg) * ohw;
                long w0 = wOff + (long)grp * kg * kdim;
                if (g.IsPointwise)
                    Gemm.WithPacker(false, kg, ohw, kdim, 1f, pw + w0, kdim, new MatrixPackB(px + x0, hw, false), 0f, py + y0, ohw);
                else
                    Gemm.WithPacker(false, kg, ohw, kdim, 1f, pw + w0, kdim, new Im2ColPackB(g, px + x0), 0f, py + y0, ohw);
                if (bias != null)
                    for (int k = 0; k < kg; k++)
                    {
                        var plane = new Span<float>(py + y0 + (long)k * ohw, ohw);
                        System.Numerics.Tensors.TensorPrimitives.Add(plane, bias[biasOff + grp * kg + k], plane);
                    }
            }
        }
    }

    /// <summary>dInput = conv^T(dOutput, weight). Overwrites dInput.</summary>
    public static void BackwardData(in Conv2dShape s, float[] dOutput, int dOutOff, float[] weight, int wOff,
        float[] dInput, int dInOff)
    {
        s.Validate("Conv2d backward-data");
        Im2Col.CheckLength("dOutput", dOutput, dOutOff, s.OutputSize);
        Im2Col.CheckLength("weight", weight, wOff, s.WeightSize);
        Im2Col.CheckLength("dInput", dInput, dInOff, s.InputSize);
        var g = s.Geometry;
        int cg = s.InChannels / s.Groups, kg = s.OutChannels / s.Groups;
        int hw = s.Height * s.Width, ohw = g.ColCols, kdim = g.ColRows;
        int padH = s.DilationH * (s.KernelH - 1) - s.PadH, padW = s.DilationW * (s.KernelW - 1) - s.PadW;
        bool asForward = !g.IsPointwise && s.StrideH == 1 && s.StrideW == 1 && padH >= 0 && padW >= 0;
        // As a forward convolution: dOutput (kg channels, OutH x OutW) with weights flipped in space and
        // transposed to [cg, kg, KH, KW], padding dilation*(kernel-1) - pad: its output is exactly Height x Width.
        var flippedGeometry = new ConvGeometry(kg, s.OutH, s.OutW, s.KernelH, s.KernelW, 1, 1, padH, padW, s.DilationH, s.DilationW);
        float[]? scratch = g.IsPointwise ? null : ArrayPool<float>.Shared.Rent(asForward ? kdim * kg : kdim * ohw);
        try
        {
            fixed (float* pdy = dOutput, pw = weight, pdx = dInput, pscr = scratch)
            {
                for (int grp = 0; grp < s.Groups; grp++)
                {
                    long w0 = wOff + (long)grp * kg * kdim;
                    if (asForward) FlipTranspose(pw + w0, kg, cg, s.KernelH * s.KernelW, pscr);
                    for (int n = 0; n < s.Batch; n++)
                    {
                        long x0 = dInOff + ((long)n * s.InChannels + grp * cg) * hw;
                        long y0 = dOutOff + ((long)n * s.OutChannels + grp * kg) * ohw;
                        if (g.IsPointwise)
                            Gemm.WithPacker(true, kdim, ohw, kg, 1f, pw + w0, kdim, new MatrixPackB(pdy + y0, ohw, false), 0f, pdx + x0, hw);
                        else if (asForward)
                            Gemm.WithPacker(false, cg, hw, flippedGeometry.ColRows, 1f, pscr, flippedGeometry.ColRows, new Im2ColPackB(flippedGeometry, pdy + y0), 0f, pdx + x0, hw);
                        else
                        {
                            Gemm.WithPacker(true, kdim, ohw, kg, 1f, pw + w0, kdim, new MatrixPackB(pdy + y0, ohw, false), 0f, pscr, ohw);
                            new Span<float>(pdx + x0, cg * hw).Clear();
                            Im2Col.Backward(g, scratch!, 0, dInput, (int)x0);
                        }
                    }
                }
            }
        }
        finally { if (scratch != null) ArrayPool<float>.Shared.Return(scratch); }
    }

    /// <summary>dst[c, k, r] = w[k, c, taps - 1 - r] for w [kg, cg, taps]: the weights of the adjoint convolution.</summary>
    private static void FlipTranspose(float* w, int kg, int cg, int taps, float* dst)
    {
        for (int k = 0; k < kg; k++)
        for (int c = 0; c < cg; c++)
        {
            float* src = w + ((long)k * cg + c) * taps;
            float* d = dst + ((long)c * kg + k) * taps;
            for (int r = 0; r < taps; r++) d[r] = src[taps - 1 - r];
        }
    }

    /// <summary>dWeight = sum over the batch of dOutput x im2col(input)^T, and dBias (when non-null) = sum of
    /// dOutput over batch and positions. Overwrites both.</summary>
    public static void BackwardWeight(in Conv2dShape s, float[] input, int inOff, float[] dOutput, int dOutOff,
        float[] dWeight, int dWOff, float[]? dBias, int dBiasOff)
    {
        s.Validate("Conv2d backward-weight");
        Im2Col.CheckLength("input", input, inOff, s.InputSize);
        Im2Col.CheckLength("dOutput", dOutput, dOutOff, s.OutputSize);
        Im2Col.CheckLength("dWeight", dWeight, dWOff, s.WeightSize);
        if (dBias != null) Im2Col.CheckLength("dBias", dBias, dBiasOff, s.OutChannels);
        var g = s.Geometry;
        int cg = s.InChannels / s.Groups, kg = s.OutChannels / s.Groups;
        int hw = s.Height * s.Width, ohw = g.ColCols, kdim = g.ColRows;
        if (s.Batch == 0) dWeight.AsSpan(dWOff, (int)s.WeightSize).Clear();
        fixed (float* px = input, pdy = dOutput, pdw = dWeight)
        {
            for (int n = 0; n < s.Batch; n++)
            for (int grp = 0; grp < s.Groups; grp++)
            {
                long x0 = inOff + ((long)n * s.InChannels + grp * cg) * hw;
                long y0 = dOutOff + ((long)n * s.OutChannels + grp * kg) * ohw;
                long w0 = dWOff + (long)grp * kg * kdim;
                float beta = n == 0 ? 0f : 1f;
                if (g.IsPointwise)
                    Gemm.WithPacker(false, kg, kdim, ohw, 1f, pdy + y0, ohw, new MatrixPackB(px + x0, hw, true), beta, pdw + w0, kdim);
                else
                    Gemm.WithPacker(false, kg, kdim, ohw, 1f, pdy + y0, ohw, new Im2ColTransposedPackB(g, px + x0), beta, pdw + w0, kdim);
            }
        }
        if (dBias != null) BiasBackward(s.Batch, s.OutChannels, s.OutH * s.OutW, dOutput, dOutOff, dBias, dBiasOff);
    }

    /// <summary>dBias[c] = sum over n and positions of dOutput[n, c, :]. Overwrites dBias.</summary>
    public static void BiasBackward(int batch, int channels, int positions, float[] dOutput, int dOutOff, float[] dBias, int dBiasOff)
    {
        Im2Col.CheckLength("dOutput", dOutput, dOutOff, (long)batch * channels * positions);
        Im2Col.CheckLength("dBias", dBias, dBiasOff, channels);
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
                sum += System.Numerics.Tensors.TensorPrimitives.Sum(dOutput.AsSpan(dOutOff + (n * channels + c) * positions, positions));
            dBias[dBiasOff + c] = (float)sum;
        }
    }
}
