namespace Engine.Backends;

/// <summary>
/// Per-axis source taps of F.interpolate, computed exactly as PyTorch does in float32 (so results match bit for bit
/// up to summation order): nearest floor(dst * in/out); bilinear source (dst + 0.5) * in/out - 0.5 clamped at 0
/// (or dst * (in-1)/(out-1) with align_corners); bicubic the same source WITHOUT the clamp, taps floor-1..floor+2
/// clamped to the image, Keys kernel a = -0.75. Shared by every backend (a GPU backend can upload the tables).
/// </summary>
public static class InterpolationTaps
{
    public static int TapCount(InterpolationMode mode) => mode switch
    {
        InterpolationMode.Nearest => 1,
        InterpolationMode.Bilinear => 2,
        InterpolationMode.Bicubic => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    private const float A = -0.75f;
    private static float Cubic1(float x) => ((A + 2f) * x - (A + 3f)) * x * x + 1f;          // |x| <= 1
    private static float Cubic2(float x) => ((A * x - 5f * A) * x + 8f * A) * x - 4f * A;      // 1 < |x| < 2

    /// <summary>Fills index[outSize * T] and weight[outSize * T] (T = <see cref="TapCount"/>).</summary>
    public static void Compute(InterpolationMode mode, bool alignCorners, int inSize, int outSize, int[] index, float[] weight)
    {
        int taps = TapCount(mode);
        if (mode == InterpolationMode.Nearest)
        {
            float scale = (float)inSize / outSize;
            for (int i = 0; i < outSize; i++)
            {
                index[i] = Math.Min((int)MathF.Floor(i * scale), inSize - 1);
                weight[i] = 1f;
            }
            return;
        }
        float sc = alignCorners
            ? (outSize > 1 ? (float)(inSize - 1) / (outSize - 1) : 0f)
            : (float)inSize / outSize;
        for (int i = 0; i < outSize; i++)
        {
            float src = alignCorners ? sc * i : sc * (i + 0.5f) - 0.5f;
            if (mode == InterpolationMode.Bilinear)
            {
                if (!alignCorners && src < 0f) src = 0f;
                int i0 = Math.Min((int)MathF.Floor(src), inSize - 1);
                float l1 = Math.Clamp(src - i0, 0f, 1f);
                index[i * taps] = i0;
                index[i * taps + 1] = i0 + (i0 < inSize - 1 ? 1 : 0);
                weight[i * taps] = 1f - l1;
                weight[i * taps + 1] = l1;
            }
            else
            {
                float fl = MathF.Floor(src);
                int f = (int)fl;
                float t = src - fl;
                for (int k = 0; k < 4; k++) index[i * taps + k] = Math.Clamp(f - 1 + k, 0, inSize - 1);
                weight[i * taps] = Cubic2(t + 1f);
                weight[i * taps + 1] = Cubic1(t);
                weight[i * taps + 2] = Cubic1(1f - t);
                weight[i * taps + 3] = Cubic2(2f - t);
            }
        }
    }
}
