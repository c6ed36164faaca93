using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>Vectorised single-precision exp: Cody-Waite range reduction to r in [-ln2/2, ln2/2], a degree-6
/// polynomial (Cephes expf coefficients, about 1 ulp), and 2^n built in the exponent bits. Inputs below -87.3
/// (including -inf) give exactly 0, so fully masked scores contribute nothing; NaN stays NaN. Measured several times
/// faster than Vector256.Exp on this runtime, which matters in attention inner loops.
/// <see cref="Exp"/> serves arguments that cannot overflow (Gaussian terms, log-sum-exp differences);
/// <see cref="ExpNonPositive"/> arguments that are never positive, at about half the cost (the online softmax,
/// QuickGELU's exp(-1.702|x|)); <see cref="Exp2NonPositive"/> is 2^x for such arguments already in log2 units
/// (the fused attention's scores); <see cref="ExpFullRange"/> is exact up to float.MaxValue and gives +inf beyond
/// (activations such as sigmoid on arbitrary inputs). Exp and ExpFullRange give the same bits wherever x &lt;= 88.376.</summary>
public static class FastExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float MinInput = -87.3365447504f; // below it the result would be denormal: 0 instead
    private const float MaxInput = 88.3762626647949f; // the largest x whose 2^n fits one exponent field (n <= 127)
    private const float OverflowInput = 88.72283905206835f; // ln(float.MaxValue)

    /// <summary>e^x for x &lt;= 88.376; larger inputs (and +inf) saturate at e^88.376 ≈ 2.4e38 instead of overflowing,
    /// which saves <see cref="ExpFullRange"/>'s two-factor scaling.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var xc = Vector256.Min(Vector256.Max(x, Vector256.Create(MinInput)), Vector256.Create(MaxInput));
        var n = Ln2Multiple(xc);
        var y = ExpOfRemainder(xc, n);
        // n is a whole number in [-126, 128] after the clamp: the native conversion (no saturation fix-up) is exact.
        var pow2 = (Vector256.ConvertToInt32Native(n) + Vector256.Create(127)) << 23;
        var result = y * pow2.AsSingle();
        // NaN in, NaN out (the clamps would otherwise turn it into a number).
        result = Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(MinInput)), Vector256<float>.Zero, result);
    }

    /// <summary>e^x for x &lt;= 0 (softmax scores minus their running maximum; -inf for masked ones): about half the
    /// instructions of <see cref="Exp"/>, which matters because attention evaluates it once per score.
    /// One clamp instead of two and no fix-up blends: the clamp at -88 makes n = -127 there, and 2^-127 built in the
    /// exponent field is exactly 0, so every x below about -87.98 (and -inf) gives 0 by construction; NaN survives the
    /// clamp (the hardware max returns its second operand when either is NaN) and the polynomial. n comes from the
    /// round-to-nearest of adding 1.5 * 2^23, whose low mantissa bits are then n itself (no floor, no conversion).
    /// Same values as <see cref="Exp"/> (to the last bit where both round x log2(e) the same way) down to -87.3;
    /// between -87.98 and -87.3 the result is below 1.2e-38 in either. Positive inputs are out of contract.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpNonPositive(Vector256<float> x)
    {
        var floor = Vector256.Create(-88f);
        var xc = Avx.IsSupported ? Avx.Max(floor, x) : Vector256.ConditionalSelect(Vector256.LessThan(x, floor), floor, x);
        var magic = Vector256.Create(RoundingMagic);
        var t = Vector256.FusedMultiplyAdd(xc, Vector256.Create(Log2E), magic);
        var n = t - magic;
        var y = ExpOfRemainder(xc, n);
        // t's low mantissa bits hold n (two's complement, |n| <= 127): shifting n + 127 into the exponent field
        // drops the magic's own bits.
        var pow2 = (t.AsInt32() + Vector256.Create(127)) << 23;
        return y * pow2.AsSingle();
    }

    /// <summary>2^x for x &lt;= 0, for a softmax whose scores are kept in log2 units (scaled by log2(e) beforehand, which
    /// the GEMM producing them does for free): n = round(x), r = x - n in [-1/2, 1/2] exactly (no Cody-Waite split of
    /// ln 2), then the degree-6 Taylor polynomial of 2^r (truncation below 1.7e-7 relative; measured within 3e-7 of
    /// the true value). Two of the range reduction's steps are additions instead of multiply-adds and the chain is
    /// three operations shorter than <see cref="ExpNonPositive"/>'s: the 485-token attention at 2 threads 4 % faster
    /// (interleaved A/B), where the exponentials compete with the products for the two FMA pipes. Inputs at or below
    /// -127 (and -inf) give exactly 0 (n = -127 builds a zero exponent field); NaN stays NaN. Positive inputs are out
    /// of contract.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp2NonPositive(Vector256<float> x)
    {
        var floor = Vector256.Create(-127f);
        var xc = Avx.IsSupported ? Avx.Max(floor, x) : Vector256.ConditionalSelect(Vector256.LessThan(x, floor), floor, x);
        var magic = Vector256.Create(RoundingMagic);
        var t = xc + magic;
        var r = xc - (t - magic);
        var p = Vector256.Create(1.5403530393381609e-4f);            // ln(2)^6 / 6!
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.3333558146428443e-3f)); // ln(2)^5 / 5!
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(9.6181291076284772e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.5504108664821580e-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(2.4022650695910071e-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(6.9314718055994531e-1f)); // ln 2
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        var pow2 = (t.AsInt32() + Vector256.Create(127)) << 23; // t's low mantissa bits hold n, as in ExpNonPositive
        return p * pow2.AsSingle();
    }

    /// <summary><see cref="ExpNonPositive(Vector256{float})"/> on 16 lanes (AVX-512F): the same operations per lane, so the
    /// same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNonPositive(Vector512<float> x)
    {
        var floor = Vector512.Create(-88f);
        var xc = Avx512F.IsSupported ? Avx512F.Max(floor, x) : Vector512.ConditionalSelect(Vector512.LessThan(x, floor), floor, x);
        var magic = Vector512.Create(RoundingMagic);
        var t = Vector512.FusedMultiplyAdd(xc, Vector512.Create(Log2E), magic);
        var n = t - magic;
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.Create(1.9875691500E-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894E-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459E-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201E-1f));
        var y = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var pow2 = (t.AsInt32() + Vector512.Create(127)) << 23;
        return y * pow2.AsSingle();
    }

    /// <summary><see cref="Exp2NonPositive(Vector256{float})"/> on 16 lanes (AVX-512F): the same operations per lane, so
    /// the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp2NonPositive(Vector512<float> x)
    {
        var floor = Vector512.Create(-127f);
        var xc = Avx512F.IsSupported ? Avx512F.Max(floor, x) : Vector512.ConditionalSelect(Vector512.LessThan(x, floor), floor, x);
        var magic = Vector512.Create(RoundingMagic);
        var t = xc + magic;
        var r = xc - (t - magic);
        var p = Vector512.Create(1.5403530393381609e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3333558146428443e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(9.6181291076284772e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.5504108664821580e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(2.4022650695910071e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(6.9314718055994531e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        var pow2 = (t.AsInt32() + Vector512.Create(127)) << 23;
        return p * pow2.AsSingle();
    }

    /// <summary>1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to a whole number, kept in the low
    /// mantissa bits.</summary>
    private const float RoundingMagic = 12582912f;

    /// <summary>e^x over the whole float range: overflow gives +inf, underflow 0, NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpFullRange(Vector256<float> x)
    {
        var xc = Vector256.Min(Vector256.Max(x, Vector256.Create(MinInput)), Vector256.Create(OverflowInput));
        var n = Ln2Multiple(xc);
        var y = ExpOfRemainder(xc, n);
        // 2^n split in two factors so n = 128 (x near the overflow bound) does not overflow the exponent field.
        var ni = Vector256.ConvertToInt32Native(n); // whole number in [-126, 128] after the clamp: exact
        var half = Vector256.ShiftRightArithmetic(ni, 1);
        var f1 = ((half + Vector256.Create(127)) << 23).AsSingle();
        var f2 = ((ni - half + Vector256.Create(127)) << 23).AsSingle();
        var result = y * f1 * f2;
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(OverflowInput)), Vector256.Create(float.PositiveInfinity), result);
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(MinInput)), Vector256<float>.Zero, result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    /// <summary>n = round(x / ln2), as a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Ln2Multiple(Vector256<float> xc)
        => Vector256.Floor(Vector256.FusedMultiplyAdd(xc, Vector256.Create(Log2E), Vector256.Create(0.5f)));

    /// <summary>e^r for r = x - n ln2 (Cody-Waite: ln2 in two parts, so |r| &lt;= ln2/2 keeps its low bits), by the
    /// degree-6 polynomial; the caller scales by 2^n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ExpOfRemainder(Vector256<float> xc, Vector256<float> n)
    {
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.Create(1.9875691500E-4f);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.3981999507E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894E-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459E-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201E-1f));
        return Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
    }

    /// <summary>dst[i] = exp(src[i] - shift) over a span (src and dst may alias); returns the sum of the results.</summary>
    internal static unsafe float ExpShiftedSum(float* src, float* dst, int count, float shift)
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
