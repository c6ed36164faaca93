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

/// <summary>Conv2d forward, backward-data and backward-weight as im2col + GEMM per (image, group); 1x1 stride-1
/// unpadded convolutions skip im2col. The column buffer is pooled. The naive reference is
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
        float[]? col = g.IsPointwise ? null : ArrayPool<float>.Shared.Rent(kdim * ohw);
        try
        {
            for (int n = 0; n < s.Batch; n++)
            for (int grp = 0; grp < s.Groups; grp++)
            {
                int x0 = inOff + (n * s.InChannels + grp * cg) * hw;
                int y0 = outOff + (n * s.OutChannels + grp * kg) * ohw;
                int w0 = wOff + grp * kg * kdim;
                if (col == null)
                    Gemm.Sgemm(false, false, kg, ohw, kdim, 1f, weight, w0, kdim, input, x0, hw, 0f, output, y0, ohw);
                else
                {
                    Im2Col.Forward(g, input, x0, col, 0);
                    Gemm.Sgemm(false, false, kg, ohw, kdim, 1f, weight, w0, kdim, col, 0, ohw, 0f, output, y0, ohw);
                }
                if (bias != null)
                    for (int k = 0; k < kg; k++)
                    {
                        var plane = output.AsSpan(y0 + k * ohw, ohw);
                        System.Numerics.Tensors.TensorPrimitives.Add(plane, bias[biasOff + grp * kg + k], plane);
                    }
            }
        }
        finally { if (col != null) ArrayPool<float>.Shared.Return(col); }
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
        float[]? col = g.IsPointwise ? null : ArrayPool<float>.Shared.Rent(kdim * ohw);
        try
        {
            for (int n = 0; n < s.Batch; n++)
            for (int grp = 0; grp < s.Groups; grp++)
            {
                int x0 = dInOff + (n * s.InChannels + grp * cg) * hw;
                int y0 = dOutOff + (n * s.OutChannels + grp * kg) * ohw;
                int w0 = wOff + grp * kg * kdim;
                if (col == null)
                    Gemm.Sgemm(true, false, kdim, ohw, kg, 1f, weight, w0, kdim, dOutput, y0, ohw, 0f, dInput, x0, hw);
                else
                {
                    Gemm.Sgemm(true, false, kdim, ohw, kg, 1f, weight, w0, kdim, dOutput, y0, ohw, 0f, col, 0, ohw);
                    dInput.AsSpan(x0, cg * hw).Clear();
                    Im2Col.Backward(g, col, 0, dInput, x0);
                }
            }
        }
        finally { if (col != null) ArrayPool<float>.Shared.Return(col); }
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
        float[]? col = g.IsPointwise ? null : ArrayPool<float>.Shared.Rent(kdim * ohw);
        try
        {
            for (int n = 0; n < s.Batch; n++)
            for (int grp = 0; grp < s.Groups; grp++)
            {
                int x0 = inOff + (n * s.InChannels + grp * cg) * hw;
                int y0 = dOutOff + (n * s.OutChannels + grp * kg) * ohw;
                int w0 = dWOff + grp * kg * kdim;
                float beta = n == 0 ? 0f : 1f;
                if (col == null)
                    Gemm.Sgemm(false, true, kg, kdim, ohw, 1f, dOutput, y0, ohw, input, x0, hw, beta, dWeight, w0, kdim);
                else
                {
                    Im2Col.Forward(g, input, x0, col, 0);
                    Gemm.Sgemm(false, true, kg, kdim, ohw, 1f, dOutput, y0, ohw, col, 0, ohw, beta, dWeight, w0, kdim);
                }
            }
        }
        finally { if (col != null) ArrayPool<float>.Shared.Return(col); }
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
