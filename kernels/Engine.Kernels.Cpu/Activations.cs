using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>Activation applied by <see cref="Activations.BiasActivation"/>.</summary>
public enum Activation { None, Relu, Gelu, QuickGelu }

/// <summary>Vectorised activations that TensorPrimitives lacks: exact-erf GELU (erf by Abramowitz-Stegun 7.1.26 with
/// an accurate exp, max abs error about 1.5e-7 - the same formulation PyTorch's vectorised CPU kernel uses), quick
/// GELU x*sigmoid(1.702x), their derivatives, and fused bias + activation over rows. Single-threaded span
/// functions (callers split large tensors); input and output spans may be the same memory. Scalar double
/// references live in <see cref="ActivationsReference"/>.</summary>
public static unsafe class Activations
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;
    private const float QuickGeluAlpha = 1.702f;

    public static void Gelu(ReadOnlySpan<float> x, Span<float> y) => Map<GeluOp>(x, y);
    public static void QuickGelu(ReadOnlySpan<float> x, Span<float> y) => Map<QuickGeluOp>(x, y);

    /// <summary>dx = dy * gelu'(x), gelu'(x) = Phi(x) + x * phi(x).</summary>
    public static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => MapGrad<GeluGradOp>(x, dy, dx);

    /// <summary>dx = dy * (s + 1.702 x s (1 - s)), s = sigmoid(1.702 x).</summary>
    public static void QuickGeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => MapGrad<QuickGeluGradOp>(x, dy, dx);

    /// <summary>In place over a row-major [rows, bias.Length] block: x[r, c] = act(x[r, c] + bias[c]). The epilogue of
    /// a Linear layer without a second pass over memory for the bias.</summary>
    public static void BiasActivation(Span<float> x, ReadOnlySpan<float> bias, Activation activation)
    {
        int cols = bias.Length;
        if (cols == 0) return;
        if (x.Length % cols != 0)
            throw new ArgumentException($"BiasActivation: {x.Length} values are not whole rows of {cols}.");
        for (int r = 0; r < x.Length; r += cols)
        {
            var row = x.Slice(r, cols);
            System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
            switch (activation)
            {
                case Activation.None: break;
                case Activation.Relu: Map<ReluOp>(row, row); break;
                case Activation.Gelu: Map<GeluOp>(row, row); break;
                case Activation.QuickGelu: Map<QuickGeluOp>(row, row); break;
                default: throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
            }
        }
    }

    /// <summary>erf(x) for 8 lanes (A&amp;S 7.1.26, |error| &lt;= 1.5e-7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        var sign = x & Vector256.Create(-0f);
        var ax = x ^ sign;
        var one = Vector256<float>.One;
        var t = one / Vector256.FusedMultiplyAdd(Vector256.Create(0.3275911f), ax, one);
        var r = Vector256.FusedMultiplyAdd(Vector256.Create(1.061405429f), t, Vector256.Create(-1.453152027f));
        r = Vector256.FusedMultiplyAdd(r, t, Vector256.Create(1.421413741f));
        r = Vector256.FusedMultiplyAdd(r, t, Vector256.Create(-0.284496736f));
        r = Vector256.FusedMultiplyAdd(r, t, Vector256.Create(0.254829592f));
        var e = FastExp.Exp(-(x * x));
        var erf = Vector256.FusedMultiplyAdd(-(e * t), r, one);
        return erf ^ sign;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + FastExp.Exp(-x));

    private interface IUnary { static abstract Vector256<float> Apply(Vector256<float> x); }
    private interface IGrad { static abstract Vector256<float> Apply(Vector256<float> x, Vector256<float> dy); }

    private struct ReluOp : IUnary
    {
        // NaN stays NaN like torch.relu: max(x, 0) with x as the operand returned on unordered compares.
        public static Vector256<float> Apply(Vector256<float> x) =>
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
    }

    private struct GeluOp : IUnary
    {
        public static Vector256<float> Apply(Vector256<float> x) =>
            x * Vector256.Create(0.5f) * (Vector256<float>.One + Erf(x * Vector256.Create(InvSqrt2)));
    }

    private struct QuickGeluOp : IUnary
    {
        public static Vector256<float> Apply(Vector256<float> x) => x * Sigmoid(x * Vector256.Create(QuickGeluAlpha));
    }

    private struct GeluGradOp : IGrad
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> dy)
        {
            var cdf = Vector256.Create(0.5f) * (Vector256<float>.One + Erf(x * Vector256.Create(InvSqrt2)));
            var pdf = FastExp.Exp(x * x * Vector256.Create(-0.5f)) * Vector256.Create(InvSqrt2Pi);
            return dy * Vector256.FusedMultiplyAdd(x, pdf, cdf);
        }
    }

    private struct QuickGeluGradOp : IGrad
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> dy)
        {
            var s = Sigmoid(x * Vector256.Create(QuickGeluAlpha));
            var ax = x * Vector256.Create(QuickGeluAlpha);
            return dy * Vector256.FusedMultiplyAdd(ax * s, Vector256<float>.One - s, s);
        }
    }

    private static void Map<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnary
    {
        if (y.Length != x.Length) throw new ArgumentException($"Activation: output length {y.Length} != input length {x.Length}.");
        fixed (float* px = x, py = y)
        {
            int i = 0, n = x.Length;
            for (; i + 8 <= n; i += 8) TOp.Apply(Vector256.Load(px + i)).Store(py + i);
            if (i < n)
            {
                // Tail through a padded vector so it gets exactly the same arithmetic.
                var tmp = stackalloc float[8];
                for (int j = 0; j < 8; j++) tmp[j] = i + j < n ? px[i + j] : 0f;
                var r = TOp.Apply(Vector256.Load(tmp));
                for (int j = 0; i + j < n; j++) py[i + j] = r.GetElement(j);
            }
        }
    }

    private static void MapGrad<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) where TOp : struct, IGrad
    {
        if (dy.Length != x.Length || dx.Length != x.Length)
            throw new ArgumentException($"Activation backward: lengths differ (x {x.Length}, dy {dy.Length}, dx {dx.Length}).");
        fixed (float* px = x, pg = dy, pd = dx)
        {
            int i = 0, n = x.Length;
            for (; i + 8 <= n; i += 8) TOp.Apply(Vector256.Load(px + i), Vector256.Load(pg + i)).Store(pd + i);
            if (i < n)
            {
                var tx = stackalloc float[8];
                var tg = stackalloc float[8];
                for (int j = 0; j < 8; j++) { tx[j] = i + j < n ? px[i + j] : 0f; tg[j] = i + j < n ? pg[i + j] : 0f; }
                var r = TOp.Apply(Vector256.Load(tx), Vector256.Load(tg));
                for (int j = 0; i + j < n; j++) pd[i + j] = r.GetElement(j);
            }
        }
    }
}

/// <summary>Double-precision scalar references for <see cref="Activations"/>.</summary>
public static class ActivationsReference
{
    public static double Erf(double x)
    {
        // erf via its Taylor series near 0 and the continued fraction of erfc beyond; accurate to ~1e-15.
        double ax = Math.Abs(x);
        double r;
        if (ax < 2.5)
        {
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 100; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double f = 0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
            r = 1 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }

    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));
    public static double GeluGrad(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2))) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
    public static double QuickGelu(double x) => x / (1 + Math.Exp(-1.702 * x));
    public static double QuickGeluGrad(double x)
    {
        double s = 1 / (1 + Math.Exp(-1.702 * x));
        return s + 1.702 * x * s * (1 - s);
    }
}
