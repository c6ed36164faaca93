namespace Engine.Models.Cris;

/// <summary>
/// The parameter-free sine position tables of CRIS's TransformerDecoder, computed in float32 step by step as torch does
/// (div_i = exp(2i · −ln(10000)/n) in float32, then sin/cos of position·div_i).
/// </summary>
public static class CrisSinePositions
{
    /// <summary>pos2d(C, H, W) as [H·W, C] (row-major positions r·W + c): with C' = C/2, channels 2i / 2i+1 = sin / cos of
    /// column·div_i (first half), channels C'+2i / C'+2i+1 = sin / cos of row·div_i (second half), div over C'.</summary>
    public static float[] Table2d(int channels, int height, int width)
    {
        if (channels % 4 != 0) throw new ArgumentException($"The 2-D sine table needs a channel count divisible by 4 (got {channels}).");
        int half = channels / 2;
        var div = Div(half);
        var t = new float[height * width * channels];
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++)
            {
                int o = (r * width + c) * channels;
                for (int i = 0; i < div.Length; i++)
                {
                    float ax = c * div[i], ay = r * div[i];
                    t[o + 2 * i] = MathF.Sin(ax);
                    t[o + 2 * i + 1] = MathF.Cos(ax);
                    t[o + half + 2 * i] = MathF.Sin(ay);
                    t[o + half + 2 * i + 1] = MathF.Cos(ay);
                }
            }
        return t;
    }

    /// <summary>pos1d(D, L) as [L, D]: channel 2i = sin(p·e_i), 2i+1 = cos(p·e_i), e_i over D.</summary>
    public static float[] Table1d(int channels, int length)
    {
        if (channels % 2 != 0) throw new ArgumentException($"The 1-D sine table needs an even channel count (got {channels}).");
        var div = Div(channels);
        var t = new float[length * channels];
        for (int p = 0; p < length; p++)
            for (int i = 0; i < div.Length; i++)
            {
                float a = p * div[i];
                t[p * channels + 2 * i] = MathF.Sin(a);
                t[p * channels + 2 * i + 1] = MathF.Cos(a);
            }
        return t;
    }

    /// <summary>exp(arange(0, n, 2) · −(ln 10000 / n)) in float32.</summary>
    private static float[] Div(int n)
    {
        float k = (float)(-(Math.Log(10000.0) / n));
        var d = new float[(n + 1) / 2];
        for (int i = 0; i < d.Length; i++) d[i] = MathF.Exp((2 * i) * k);
        return d;
    }
}
