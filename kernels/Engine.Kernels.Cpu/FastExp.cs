using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>Vectorised single-precision exp for softmax-style kernels: Cody-Waite range reduction to
/// r in [-ln2/2, ln2/2], a degree-6 polynomial (Cephes expf coefficients, about 1 ulp), and 2^n built in the
/// exponent bits. Inputs below -87.3 (including -inf) give exactly 0, so fully masked scores contribute nothing.
/// Measured several times faster than Vector256.Exp on this runtime, which matters in attention inner loops.</summary>
internal static class FastExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float MaxInput = 88.3762626647949f, MinInput = -87.3365447504f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var underflow = Vector256.LessThan(x, Vector256.Create(MinInput));
        var xc = Vector256.Min(Vector256.Max(x, Vector256.Create(MinInput)), Vector256.Create(MaxInput));
        var n = Vector256.Floor(Vector256.FusedMultiplyAdd(xc, Vector256.Create(Log2E), Vector256.Create(0.5f)));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.Create(1.9875691500E-4f);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.3981999507E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894E-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459E-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201E-1f));
        var y = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        var pow2 = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        var result = y * pow2.AsSingle();
        // NaN in, NaN out (the clamps would otherwise turn it into a number).
        result = Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
        return Vector256.ConditionalSelect(underflow, Vector256<float>.Zero, result);
    }

    /// <summary>dst[i] = exp(src[i] - shift) over a span (src and dst may alias); returns the sum of the results.</summary>
    public static unsafe float ExpShiftedSum(float* src, float* dst, int count, float shift)
    {
        var vs = Vector256.Create(shift);
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= count; i += 8)
        {
            var e = Exp(Vector256.Load(src + i) - vs);
            e.Store(dst + i);
            acc += e;
        }
        float sum = Vector256.Sum(acc);
        for (; i < count; i++)
        {
            float e = src[i] - shift < MinInput ? 0f : MathF.Exp(src[i] - shift);
            dst[i] = e;
            sum += e;
        }
        return sum;
    }
}
