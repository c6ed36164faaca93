namespace Engine.Kernels.Cpu;

/// <summary>im2col (image -> column matrix) and col2im (column matrix -> image, accumulating) for one CHW image.
/// Rows are split across threads (each col2im worker owns whole channels, so no two write the same pixel).</summary>
public static unsafe class Im2Col
{
    /// <summary>Writes col[ColRows, ColCols] (row-major from colOff) from image[Channels, Height, Width].</summary>
    public static void Forward(in ConvGeometry g, float[] image, int imageOff, float[] col, int colOff)
    {
        g.Validate("Im2Col");
        CheckLength("image", image, imageOff, (long)g.Channels * g.Height * g.Width);
        CheckLength("col", col, colOff, (long)g.ColRows * g.ColCols);
        var geo = g;
        int rows = g.ColRows;
        fixed (float* pi = image, pc = col)
        {
            float* img = pi + imageOff, c = pc + colOff;
            int parts = Parts(rows, (long)rows * g.ColCols);
            KernelThreading.For(parts, t =>
            {
                for (int row = rows * t / parts; row < rows * (t + 1) / parts; row++) ForwardRow(geo, img, c, row);
            });
        }
    }

    internal static int Parts(int units, long elements) =>
        elements < (1 << 16) ? 1 : Math.Min(KernelThreading.MaxThreads, units);

    /// <summary>One row of the column matrix: channel c, window offset (r, s), every output position.</summary>
    internal static void ForwardRow(in ConvGeometry g, float* image, float* col, int row)
    {
        int s = row % g.KernelW, r = row / g.KernelW % g.KernelH, c = row / (g.KernelW * g.KernelH);
        int outH = g.OutH, outW = g.OutW;
        float* plane = image + (long)c * g.Height * g.Width;
        float* dst = col + (long)row * outH * outW;
        // Output columns whose input column is inside the image: ow in [owLo, owHi).
        int colOffset = s * g.DilationW - g.PadW;
        int owLo = Math.Clamp(CeilDiv(-colOffset, g.StrideW), 0, outW);
        int owHi = Math.Clamp(CeilDiv(g.Width - colOffset, g.StrideW), owLo, outW);
        for (int oh = 0; oh < outH; oh++, dst += outW)
        {
            int ih = oh * g.StrideH - g.PadH + r * g.DilationH;
            if ((uint)ih >= (uint)g.Height)
            {
                new Span<float>(dst, outW).Clear();
                continue;
            }
            float* src = plane + (long)ih * g.Width + colOffset;
            for (int ow = 0; ow < owLo; ow++) dst[ow] = 0;
            if (g.StrideW == 1)
                new ReadOnlySpan<float>(src + owLo, owHi - owLo).CopyTo(new Span<float>(dst + owLo, owHi - owLo));
            else
                for (int ow = owLo; ow < owHi; ow++) dst[ow] = src[ow * g.StrideW];
            for (int ow = owHi; ow < outW; ow++) dst[ow] = 0;
        }
    }

    /// <summary>Columns [j0, j0 + count) of im2col row `row` (channel c, window offset (r, s)) into dst: the
    /// output positions are walked output row by output row, each run a copy of an input row span with zero edges.</summary>
    internal static void RowSegment(in ConvGeometry g, float* image, int row, int j0, int count, float* dst)
    {
        int s = row % g.KernelW, r = row / g.KernelW % g.KernelH, c = row / (g.KernelW * g.KernelH);
        int outW = g.OutW, strideW = g.StrideW;
        float* plane = image + (long)c * g.Height * g.Width;
        int colOffset = s * g.DilationW - g.PadW;
        int owLo = Math.Clamp(CeilDiv(-colOffset, strideW), 0, outW);
        int owHi = Math.Clamp(CeilDiv(g.Width - colOffset, strideW), owLo, outW);
        int oh = j0 / outW, ow = j0 % outW;
        for (int done = 0; done < count; oh++, ow = 0)
        {
            int run = Math.Min(outW - ow, count - done);
            float* d = dst + done - ow; // d[x] is output column x of this output row
            int ih = oh * g.StrideH - g.PadH + r * g.DilationH;
            if ((uint)ih >= (uint)g.Height)
                new Span<float>(d + ow, run).Clear();
            else
            {
                float* src = plane + (long)ih * g.Width + colOffset;
                int end = ow + run;
                int lo = Math.Clamp(owLo, ow, end), hi = Math.Clamp(owHi, lo, end);
                for (int x = ow; x < lo; x++) d[x] = 0;
                if (strideW == 1)
                    new ReadOnlySpan<float>(src + lo, hi - lo).CopyTo(new Span<float>(d + lo, hi - lo));
                else
                    for (int x = lo; x < hi; x++) d[x] = src[x * strideW];
                for (int x = hi; x < end; x++) d[x] = 0;
            }
            done += run;
        }
    }

    /// <summary>Adds col[ColRows, ColCols] back into image[Channels, Height, Width] (the adjoint of Forward).</summary>
    public static void Backward(in ConvGeometry g, float[] col, int colOff, float[] image, int imageOff)
    {
        g.Validate("Col2Im");
        CheckLength("image", image, imageOff, (long)g.Channels * g.Height * g.Width);
        CheckLength("col", col, colOff, (long)g.ColRows * g.ColCols);
        var geo = g;
        fixed (float* pi = image, pc = col)
        {
            float* img = pi + imageOff, c = pc + colOff;
            int channels = g.Channels;
            int parts = Parts(channels, (long)g.ColRows * g.ColCols);
            KernelThreading.For(parts, t =>
            {
                for (int ch = channels * t / parts; ch < channels * (t + 1) / parts; ch++)
                    for (int rs = 0; rs < geo.KernelH * geo.KernelW; rs++)
                        BackwardRow(geo, c, img, ch * geo.KernelH * geo.KernelW + rs);
            });
        }
    }

    internal static void BackwardRow(in ConvGeometry g, float* col, float* image, int row)
    {
        int s = row % g.KernelW, r = row / g.KernelW % g.KernelH, c = row / (g.KernelW * g.KernelH);
        int outH = g.OutH, outW = g.OutW;
        float* plane = image + (long)c * g.Height * g.Width;
        float* src = col + (long)row * outH * outW;
        int colOffset = s * g.DilationW - g.PadW;
        int owLo = Math.Clamp(CeilDiv(-colOffset, g.StrideW), 0, outW);
        int owHi = Math.Clamp(CeilDiv(g.Width - colOffset, g.StrideW), owLo, outW);
        for (int oh = 0; oh < outH; oh++, src += outW)
        {
            int ih = oh * g.StrideH - g.PadH + r * g.DilationH;
            if ((uint)ih >= (uint)g.Height) continue;
            float* dst = plane + (long)ih * g.Width + colOffset;
            if (g.StrideW == 1)
            {
                var d = new Span<float>(dst + owLo, owHi - owLo);
                System.Numerics.Tensors.TensorPrimitives.Add(d, new ReadOnlySpan<float>(src + owLo, owHi - owLo), d);
            }
            else
                for (int ow = owLo; ow < owHi; ow++) dst[ow * g.StrideW] += src[ow];
        }
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    internal static void CheckLength(string name, float[] x, long off, long count)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (off < 0 || off + count > x.Length)
            throw new ArgumentException($"Convolution: {name} needs {count} elements from offset {off} but the array has {x.Length}.");
    }
}
