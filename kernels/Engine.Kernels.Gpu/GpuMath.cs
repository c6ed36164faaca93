using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Engine.Kernels.Gpu;

/// <summary>Device math shared by kernels. ILGPU 1.5.3 has no PTX implementation of MathF.Exp/Log/Tanh without
/// libdevice (compilation fails even in a branch not taken on CUDA), so Exp, Log and Tanh here are plain arithmetic
/// and bit manipulation: identical on the CPU simulator and the GPU, accurate to about 1 ulp, no approximate
/// instructions. Kernels must use these, never MathF.Exp/Log/Tanh (MathF.Sqrt and MathF.Floor are fine).</summary>
public static class GpuMath
{
    private const float Log2E = 1.44269504f, Ln2Hi = 0.693145752f, Ln2Lo = 1.42860677e-06f;

    /// <summary>2^n for integer n in [-126, 127] by building the exponent bits.</summary>
    private static float Pow2(int n) => Interop.IntAsFloat((uint)(n + 127) << 23);

    /// <summary>e^x: x = n ln2 + r with |r| &lt;= ln2/2 (Cody-Waite, two-part ln2), e^r by its degree-7 Taylor
    /// polynomial (truncation below 1e-8), times 2^n in two factors so results down to 2^-149 (subnormal) survive.</summary>
    public static float Exp(float x)
    {
        if (float.IsNaN(x)) return x;
        if (x > 88.7228f) return float.PositiveInfinity;
        if (x < -103.98f) return 0f;
        float n = MathF.Floor(x * Log2E + 0.5f);
        float r = (x - n * Ln2Hi) - n * Ln2Lo;
        float p = 1f / 5040f;
        p = p * r + 1f / 720f;
        p = p * r + 1f / 120f;
        p = p * r + 1f / 24f;
        p = p * r + 1f / 6f;
        p = p * r + 0.5f;
        p = p * r + 1f;
        p = p * r + 1f;
        int ni = (int)n;
        int h = ni / 2;
        return p * Pow2(h) * Pow2(ni - h);
    }

    /// <summary>Natural log: x = m 2^e with m in [sqrt(1/2), sqrt 2), log m = 2 atanh(s), s = (m-1)/(m+1),
    /// |s| &lt;= 0.172, by its odd series to s^9 (truncation below 1e-9).</summary>
    public static float Log(float x)
    {
        if (float.IsNaN(x) || x < 0f) return float.NaN;
        if (x == 0f) return float.NegativeInfinity;
        if (float.IsPositiveInfinity(x)) return x;
        int e = 0;
        if (x < 1.17549435e-38f) { x *= 8388608f; e = -23; } // subnormal: scale by 2^23 first
        uint bits = Interop.FloatAsInt(x);
        e += (int)((bits >> 23) & 0xFFu) - 127;
        float m = Interop.IntAsFloat((bits & 0x7FFFFFu) | 0x3F800000u);
        if (m > 1.41421356f) { m *= 0.5f; e += 1; }
        float s = (m - 1f) / (m + 1f), s2 = s * s;
        float q = 1f / 9f;
        q = q * s2 + 1f / 7f;
        q = q * s2 + 1f / 5f;
        q = q * s2 + 1f / 3f;
        q = q * s2 + 1f;
        float lm = 2f * s * q;
        return e * Ln2Hi + (lm + e * Ln2Lo);
    }

    /// <summary>tanh accurate to a few 1e-8 absolute: odd polynomial (fitted for this library) below 0.6, else
    /// 1 - 2 / (e^(2|x|) + 1).</summary>
    public static float Tanh(float x)
    {
        float ax = x < 0 ? -x : x;
        float r;
        if (ax < 0.6f)
        {
            float u = x * x;
            float p = -0.005849643909793125f;
            p = p * u + 0.02075134910595479f;
            p = p * u - 0.05376798350832733f;
            p = p * u + 0.13331679634558233f;
            p = p * u - 0.3333328283432542f;
            p = p * u + 0.9999999974801559f;
            return x * p;
        }
        if (ax > 9.1f) r = 1f;
        else r = 1f - 2f / (Exp(2f * ax) + 1f);
        return x < 0 ? -r : r;
    }

    public const float NegInf = float.NegativeInfinity;
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;

    /// <summary>
    /// erf with absolute error below 1e-7 (float rounding dominates). Three pieces fitted (Chebyshev, in
    /// high precision) for this library: |x| &lt; 1: x * P(x^2); 1 &lt;= |x| &lt; 2.5 and 2.5 &lt;= |x| &lt; 4:
    /// 1 - exp(-x^2) * Q(|x| - centre), where Q approximates the smooth scaled complement erfc(x) exp(x^2);
    /// |x| &gt;= 4 rounds to +-1 in float32.
    /// </summary>
    public static float Erf(float x)
    {
        float ax = x < 0 ? -x : x;
        if (ax < 1f)
        {
            float u = x * x;
            float p = -9.667044571486996e-06f;
            p = p * u + 0.00011265959025606609f;
            p = p * u - 0.0008484080405535107f;
            p = p * u + 0.005221031807858023f;
            p = p * u - 0.026865430727670243f;
            p = p * u + 0.11283782495236845f;
            p = p * u - 0.3761263846802871f;
            p = p * u + 1.1283791670615435f;
            return x * p;
        }
        float r;
        if (ax < 2.5f)
        {
            float s = ax - 1.75f;
            float q = 1.146466801679436e-05f;
            q = q * s - 3.865195584663284e-05f;
            q = q * s + 0.00010871189116195327f;
            q = q * s - 0.0003407107498017814f;
            q = q * s + 0.0010394018728270777f;
            q = q * s - 0.0030216771244768754f;
            q = q * s + 0.008404299278646927f;
            q = q * s - 0.022259924285978172f;
            q = q * s + 0.05576363064873883f;
            q = q * s - 0.1309763475144328f;
            q = q * s + 0.2849722347374364f;
            r = 1f - Exp(-ax * ax) * q;
        }
        else if (ax < 4f)
        {
            float s = ax - 3.25f;
            float q = 1.6785495844807338e-07f;
            q = q * s - 7.507290118909054e-07f;
            q = q * s + 3.0320017649898838e-06f;
            q = q * s - 1.2972954101105971e-05f;
            q = q * s + 5.442210053799324e-05f;
            q = q * s - 0.00022239041941480954f;
            q = q * s + 0.0008860044070627598f;
            q = q * s - 0.00343547050980859f;
            q = q * s + 0.012937290887818627f;
            q = q * s - 0.047199402343448625f;
            q = q * s + 0.16633534842682188f;
            r = 1f - Exp(-ax * ax) * q;
        }
        else r = 1f;
        return x < 0 ? -r : r;
    }

    public static float Sigmoid(float x)
    {
        if (x >= 0) return 1f / (1f + Exp(-x));
        float e = Exp(x);
        return e / (1f + e);
    }

    /// <summary>log(1 + exp(x)) without overflow.</summary>
    public static float Softplus(float x) => (x > 0 ? x : 0f) + Log(1f + Exp(-(x < 0 ? -x : x)));

    public static float GeluExact(float x) => 0.5f * x * (1f + Erf(x * InvSqrt2));

    public static float GeluExactGrad(float x) => 0.5f * (1f + Erf(x * InvSqrt2)) + x * InvSqrt2Pi * Exp(-0.5f * x * x);

    private const float TanhK = 0.7978845608028654f; // sqrt(2/pi)

    public static float GeluTanh(float x) => 0.5f * x * (1f + Tanh(TanhK * (x + 0.044715f * x * x * x)));

    public static float GeluTanhGrad(float x)
    {
        float t = Tanh(TanhK * (x + 0.044715f * x * x * x));
        return 0.5f * (1f + t) + 0.5f * x * (1f - t * t) * TanhK * (1f + 3f * 0.044715f * x * x);
    }

    public static float QuickGelu(float x) => x * Sigmoid(1.702f * x);

    public static float QuickGeluGrad(float x)
    {
        float s = Sigmoid(1.702f * x);
        return s + 1.702f * x * s * (1f - s);
    }

    /// <summary>x^e with torch.pow semantics for float exponents (negative base only for integral exponents).</summary>
    public static float Pow(float x, float e)
    {
        if (e == 1f) return x;
        if (e == 2f) return x * x;
        if (e == 0f) return 1f;
        if (e == 0.5f) return MathF.Sqrt(x);
        if (x > 0f) return Exp(e * Log(x));
        if (x == 0f) return e > 0f ? 0f : float.PositiveInfinity;
        float ei = MathF.Floor(e);
        if (ei != e) return float.NaN;
        float mag = Exp(e * Log(-x));
        float half = e * 0.5f;
        return MathF.Floor(half) == half ? mag : -mag;
    }

    public static float Max(float a, float b) => a > b ? a : b;
    public static float Min(float a, float b) => a < b ? a : b;
}
