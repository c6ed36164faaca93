using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Engine.Kernels.Cpu;

namespace Engine.Backends;

/// <summary>
/// Vectorised activation kernels on spans (y may alias x exactly). Each has the scalar formula of
/// <see cref="ScalarMath"/> as its reference: GELU reproduces <see cref="ScalarMath.Gelu"/> bit for bit (the same
/// double-precision table step, four lanes at a time with gathers); sigmoid uses the kernels' full-range
/// <see cref="FastExp.ExpFullRange"/> (Cephes-style, about 1 ulp), QuickGELU the same polynomial on a never-positive
/// exponent (<see cref="QuickGelu(Vector256{float})"/>). Hardware without AVX2/FMA takes the scalar loops.
/// </summary>
internal static class VectorMath
{
    /// <summary>Whether the vector paths (AVX2 + FMA) run; elsewhere the scalar loops do.</summary>
    public static bool Fast => Avx2.IsSupported && Fma.IsSupported;

    // ---------------------------------------------------------------- activations

    /// <summary>y = max(x, 0), NaN propagated (torch.relu).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref float yr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            for (; i + 8 <= x.Length; i += 8)
                Relu(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < x.Length; i++) { float v = x[i]; y[i] = v > 0f || float.IsNaN(v) ? v : 0f; }
    }

    /// <summary>max(v, 0) on 8 lanes, NaN kept: v where v &gt; 0 or v != v, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> v)
        => v & (Vector256.GreaterThan(v, Vector256<float>.Zero) | ~Vector256.Equals(v, v));

    /// <summary><see cref="Relu(Vector256{float})"/> on 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> v)
        => v & (Vector512.GreaterThan(v, Vector512<float>.Zero) | ~Vector512.Equals(v, v));

    /// <summary>x * sigmoid(1.702 x) on 8 lanes (AVX2 + FMA), written with e = exp(-1.702 |x|) &lt;= 1: x / (1 + e) for
    /// x &gt;= 0 and x e / (1 + e) below. The exponent is never positive, so the cheap
    /// <see cref="FastExp.ExpNonPositive"/> serves and nothing can overflow (about half the work of exp over the
    /// full range). NaN stays NaN, +inf gives +inf and -inf gives NaN, as x * torch.sigmoid(1.702 x) does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> QuickGelu(Vector256<float> v)
    {
        var e = FastExp.ExpNonPositive((v * Vector256.Create(1.702f)) | Vector256.Create(-0f));
        var numerator = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), v * e, v);
        return numerator / (Vector256<float>.One + e);
    }

    /// <summary><see cref="QuickGelu(Vector256{float})"/> on 16 lanes (AVX-512): the same operations per lane, so the
    /// same bits; twice the elements per instruction where the hardware has 512-bit units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> QuickGelu(Vector512<float> v)
    {
        var e = FastExp.ExpNonPositive((v * Vector512.Create(1.702f)) | Vector512.Create(-0f));
        var numerator = Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), v * e, v);
        return numerator / (Vector512<float>.One + e);
    }

    /// <summary>gx = x &gt; 0 ? g : 0.</summary>
    public static void ReluGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> o)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref float gr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(g);
            ref float or = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(o);
            for (; i + 8 <= x.Length; i += 8)
            {
                var keep = Vector256.GreaterThan(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref gr, (nuint)i) & keep).StoreUnsafe(ref or, (nuint)i);
            }
        }
        for (; i < x.Length; i++) o[i] = x[i] > 0f ? g[i] : 0f;
    }

    /// <summary>y = x * sigmoid(1.702 x) = x / (1 + exp(-1.702 x)).</summary>
    public static void QuickGelu(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Fast)
        {
            ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref float yr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            if (Vector512.IsHardwareAccelerated)
                for (; i + 16 <= x.Length; i += 16)
                    QuickGelu(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            for (; i + 8 <= x.Length; i += 8)
                QuickGelu(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < x.Length; i++) { float v = x[i]; y[i] = v * ScalarMath.Sigmoid(1.702f * v); }
    }

    /// <summary>gx = g * (s + 1.702 x s (1 - s)), s = sigmoid(1.702 x).</summary>
    public static void QuickGeluGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> o)
    {
        int i = 0;
        if (Fast)
        {
            ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref float gr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(g);
            ref float or = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(o);
            var k = Vector256.Create(1.702f);
            for (; i + 8 <= x.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var s = Vector256<float>.One / (Vector256<float>.One + FastExp.ExpFullRange(-(v * k)));
                var d = s + k * v * s * (Vector256<float>.One - s);
                (Vector256.LoadUnsafe(ref gr, (nuint)i) * d).StoreUnsafe(ref or, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            float v = x[i], s = ScalarMath.Sigmoid(1.702f * v);
            o[i] = g[i] * (s + 1.702f * v * s * (1f - s));
        }
    }

    /// <summary>gx = g * s * (1 - s) from the sigmoid output s.</summary>
    public static void SigmoidGrad(ReadOnlySpan<float> s, ReadOnlySpan<float> g, Span<float> o)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float sr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s);
            ref float gr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(g);
            ref float or = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(o);
            for (; i + 8 <= s.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref sr, (nuint)i);
                (Vector256.LoadUnsafe(ref gr, (nuint)i) * v * (Vector256<float>.One - v)).StoreUnsafe(ref or, (nuint)i);
            }
        }
        for (; i < s.Length; i++) { float v = s[i]; o[i] = g[i] * v * (1f - v); }
    }

    /// <summary>gx = g * (1 - t^2) from the tanh output t.</summary>
    public static void TanhGrad(ReadOnlySpan<float> t, ReadOnlySpan<float> g, Span<float> o)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float tr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(t);
            ref float gr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(g);
            ref float or = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(o);
            for (; i + 8 <= t.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref tr, (nuint)i);
                (Vector256.LoadUnsafe(ref gr, (nuint)i) * (Vector256<float>.One - v * v)).StoreUnsafe(ref or, (nuint)i);
            }
        }
        for (; i < t.Length; i++) { float v = t[i]; o[i] = g[i] * (1f - v * v); }
    }

    /// <summary>Exact GELU, <see cref="ScalarMath.Gelu"/> four lanes at a time: the same double-precision erfc table
    /// step (gathered), so results are identical to the scalar reference.</summary>
    public static unsafe void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Fast)
        {
            fixed (float* px = x, py = y)
            fixed (double* te = ScalarMath.ErfcTable, tg = ScalarMath.GaussTable)
            {
                var invSqrt2 = Vector256.Create(0.70710678118654752);
                var scale = Vector256.Create((double)ScalarMath.TableScale);
                var ten = Vector256.Create(10.0);
                for (; i + 4 <= x.Length; i += 4)
                {
                    var xf = Sse.LoadVector128(px + i);
                    var xd = Avx.ConvertToVector256Double(xf);
                    var z = Avx.ConvertToVector256Double(Sse.Xor(xf, Vector128.Create(-0f))) * invSqrt2; // (-x) * 1/sqrt2, as the scalar code
                    var ax = Vector256.Abs(z);
                    var inRange = Vector256.LessThan(ax, ten);                    // false for NaN and |z| >= 10
                    var idxD = ax * scale + Vector256.Create(0.5);
                    var idx = Avx.ConvertToVector128Int32WithTruncation(Vector256.ConditionalSelect(inRange, idxD, Vector256<double>.Zero));
                    var xi = Avx.ConvertToVector256Double(idx) / scale;
                    var d = ax - xi;
                    var x2 = xi * xi;
                    var h3 = Vector256.Create(8.0) * x2 * xi - Vector256.Create(12.0) * xi;
                    var h4 = Vector256.Create(16.0) * x2 * x2 - Vector256.Create(48.0) * x2 + Vector256.Create(12.0);
                    var poly = d * (Vector256<double>.One + d * (-xi + d * ((Vector256.Create(4.0) * x2 - Vector256.Create(2.0)) / Vector256.Create(6.0)
                                    + d * (-h3 / Vector256.Create(24.0) + d * (h4 / Vector256.Create(120.0))))));
                    var e = Avx2.GatherVector256(te, idx, 8);
                    var g = Avx2.GatherVector256(tg, idx, 8);
                    var r = e - g * poly;
                    // beyond the table erfc is 0 (NaN lanes keep their NaN from d)
                    r = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(ax, ten), Vector256<double>.Zero, r);
                    r = Vector256.ConditionalSelect(Vector256.LessThan(z, Vector256<double>.Zero), Vector256.Create(2.0) - r, r);
                    var result = Vector256.Create(0.5) * xd * r;
                    Sse.Store(py + i, Avx.ConvertToVector128Single(result));
                }
            }
        }
        for (; i < x.Length; i++) y[i] = ScalarMath.Gelu(x[i]);
    }
}
