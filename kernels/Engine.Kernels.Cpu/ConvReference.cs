namespace Engine.Kernels.Cpu;

/// <summary>Naive direct (seven-loop) convolution and transposed convolution with double accumulation: the
/// references the im2col + GEMM kernels are tested against. Outputs are overwritten.</summary>
public static class ConvReference
{
    /// <summary>Visits every (n, out channel k, in channel c, window r/s, output position) term of a convolution with
    /// the flat indices of the input pixel, weight and output pixel (padding taps skipped).</summary>
    private static void ForEachTap(in Conv2dShape s, Action<long, long, long> tap)
    {
        int cg = s.InChannels / s.Groups, kg = s.OutChannels / s.Groups, oh = s.OutH, ow = s.OutW;
        for (int n = 0; n < s.Batch; n++)
        for (int k = 0; k < s.OutChannels; k++)
        {
            int grp = k / kg;
            for (int c = 0; c < cg; c++)
            for (int r = 0; r < s.KernelH; r++)
            for (int q = 0; q < s.KernelW; q++)
            for (int y = 0; y < oh; y++)
            {
                int ih = y * s.StrideH - s.PadH + r * s.DilationH;
                if (ih < 0 || ih >= s.Height) continue;
                for (int x = 0; x < ow; x++)
                {
                    int iw = x * s.StrideW - s.PadW + q * s.DilationW;
                    if (iw < 0 || iw >= s.Width) continue;
                    long xi = (((long)n * s.InChannels + grp * cg + c) * s.Height + ih) * s.Width + iw;
                    long wi = (((long)k * cg + c) * s.KernelH + r) * s.KernelW + q;
                    long yi = (((long)n * s.OutChannels + k) * oh + y) * ow + x;
                    tap(xi, wi, yi);
                }
            }
        }
    }

    public static void Conv2dForward(in Conv2dShape s, float[] input, float[] weight, float[]? bias, float[] output)
    {
        var acc = new double[s.OutputSize];
        ForEachTap(s, (xi, wi, yi) => acc[yi] += (double)input[xi] * weight[wi]);
        int ohw = s.OutH * s.OutW;
        for (long i = 0; i < acc.Length; i++)
            output[i] = (float)(acc[i] + (bias == null ? 0 : bias[i / ohw % s.OutChannels]));
    }

    public static void Conv2dBackwardData(in Conv2dShape s, float[] dOutput, float[] weight, float[] dInput)
    {
        var acc = new double[s.InputSize];
        ForEachTap(s, (xi, wi, yi) => acc[xi] += (double)dOutput[yi] * weight[wi]);
        for (long i = 0; i < acc.Length; i++) dInput[i] = (float)acc[i];
    }

    public static void Conv2dBackwardWeight(in Conv2dShape s, float[] input, float[] dOutput, float[] dWeight)
    {
        var acc = new double[s.WeightSize];
        ForEachTap(s, (xi, wi, yi) => acc[wi] += (double)dOutput[yi] * input[xi]);
        for (long i = 0; i < acc.Length; i++) dWeight[i] = (float)acc[i];
    }

    /// <summary>Transposed convolution by scattering: output[n, co, h*s - p + r*d, ...] += input[n, ci, h, w] * W[ci, co', r, q].</summary>
    private static void ForEachTransposedTap(in ConvTranspose2dShape s, Action<long, long, long> tap)
    {
        int cig = s.InChannels / s.Groups, cog = s.OutChannels / s.Groups, oh = s.OutH, ow = s.OutW;
        for (int n = 0; n < s.Batch; n++)
        for (int ci = 0; ci < s.InChannels; ci++)
        {
            int grp = ci / cig;
            for (int co = 0; co < cog; co++)
            for (int r = 0; r < s.KernelH; r++)
            for (int q = 0; q < s.KernelW; q++)
            for (int h = 0; h < s.Height; h++)
            {
                int y = h * s.StrideH - s.PadH + r * s.DilationH;
                if (y < 0 || y >= oh) continue;
                for (int w = 0; w < s.Width; w++)
                {
                    int x = w * s.StrideW - s.PadW + q * s.DilationW;
                    if (x < 0 || x >= ow) continue;
                    long xi = (((long)n * s.InChannels + ci) * s.Height + h) * s.Width + w;
                    long wi = (((long)ci * cog + co) * s.KernelH + r) * s.KernelW + q;
                    long yi = (((long)n * s.OutChannels + grp * cog + co) * oh + y) * ow + x;
                    tap(xi, wi, yi);
                }
            }
        }
    }

    public static void ConvTranspose2dForward(in ConvTranspose2dShape s, float[] input, float[] weight, float[]? bias, float[] output)
    {
        var acc = new double[s.OutputSize];
        ForEachTransposedTap(s, (xi, wi, yi) => acc[yi] += (double)input[xi] * weight[wi]);
        int ohw = s.OutH * s.OutW;
        for (long i = 0; i < acc.Length; i++)
            output[i] = (float)(acc[i] + (bias == null ? 0 : bias[i / ohw % s.OutChannels]));
    }

    public static void ConvTranspose2dBackwardData(in ConvTranspose2dShape s, float[] dOutput, float[] weight, float[] dInput)
    {
        var acc = new double[s.InputSize];
        ForEachTransposedTap(s, (xi, wi, yi) => acc[xi] += (double)dOutput[yi] * weight[wi]);
        for (long i = 0; i < acc.Length; i++) dInput[i] = (float)acc[i];
    }

    public static void ConvTranspose2dBackwardWeight(in ConvTranspose2dShape s, float[] input, float[] dOutput, float[] dWeight)
    {
        var acc = new double[s.WeightSize];
        ForEachTransposedTap(s, (xi, wi, yi) => acc[wi] += (double)dOutput[yi] * input[xi]);
        for (long i = 0; i < acc.Length; i++) dWeight[i] = (float)acc[i];
    }
}
