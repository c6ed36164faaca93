namespace Engine.Backends;

/// <summary>Scalar functions .NET lacks. Computed in double so the float32 results are correctly rounded in practice.</summary>
internal static class ScalarMath
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>erf(x): Maclaurin series for |x| &lt; 2.5 (converges with mild cancellation in double), else 1 - erfc by a
    /// continued fraction.</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (double.IsNaN(x)) return double.NaN;
        if (ax < 2.5)
        {
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 80; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return TwoOverSqrtPi * sum;
        }
        double r = 1.0 - ErfcLarge(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>erfc(x) for x &gt;= 2.5 by the continued fraction erfc(x) = exp(-x^2)/sqrt(pi) / (x + 1/2 / (x + 1 / (x + 3/2 / ...))).</summary>
    private static double ErfcLarge(double x)
    {
        if (x > 27) return 0;
        double f = x;
        for (int k = 60; k >= 1; k--) f = x + k * 0.5 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>erfc(x) without cancellation for large positive x.</summary>
    public static double Erfc(double x) => x >= 2.5 ? ErfcLarge(x) : 1.0 - Erf(x);

    // ---- fast erfc: table of erfc and exp(-x^2) at x_i = i/64 on [0, 10], plus a 5-term Taylor step from the
    // nearest node (|delta| <= 1/128). The derivatives of erfc are Hermite polynomials times exp(-x^2), so the
    // step is relative to exp(-x_i^2) and stays accurate (~1e-9 relative) deep in the tail, where GELU needs it.
    internal const int TableScale = 64;
    internal const int TableSize = 10 * TableScale + 1;
    internal static readonly double[] ErfcTable = BuildTable(true);
    internal static readonly double[] GaussTable = BuildTable(false);

    private static double[] BuildTable(bool erfc)
    {
        var t = new double[TableSize];
        for (int i = 0; i < TableSize; i++)
        {
            double x = (double)i / TableScale;
            t[i] = erfc ? Erfc(x) : 2.0 / Math.Sqrt(Math.PI) * Math.Exp(-x * x);
        }
        return t;
    }

    /// <summary>erfc(x) from the table (any x; 0 beyond 10, 2 below -10).</summary>
    public static double ErfcFast(double x)
    {
        double ax = Math.Abs(x);
        double r;
        if (ax >= 10.0) r = 0.0;
        else
        {
            int i = (int)(ax * TableScale + 0.5);
            double xi = (double)i / TableScale, d = ax - xi, x2 = xi * xi;
            // sum_{n>=1} (-1)^(n-1) H_{n-1}(xi) d^n / n!, Horner in d
            double h3 = 8 * x2 * xi - 12 * xi, h4 = 16 * x2 * x2 - 48 * x2 + 12;
            double poly = d * (1 + d * (-xi + d * ((4 * x2 - 2) / 6 + d * (-h3 / 24 + d * (h4 / 120)))));
            r = ErfcTable[i] - GaussTable[i] * poly;
        }
        return x < 0 ? 2.0 - r : r;
    }

    public static float Gelu(float x)
    {
        // 0.5 x (1 + erf(x/sqrt2)) = 0.5 x erfc(-x/sqrt2): the erfc form keeps precision for large negative x.
        return (float)(0.5 * x * ErfcFast(-x * 0.70710678118654752));
    }

    public static float GeluGrad(float x)
    {
        double xd = x;
        double cdf = 0.5 * ErfcFast(-xd * 0.70710678118654752);
        double pdf = Math.Exp(-0.5 * xd * xd) * 0.3989422804014327;
        return (float)(cdf + xd * pdf);
    }

    private const float SqrtTwoOverPi = 0.7978845608028654f;

    public static float GeluTanh(float x)
    {
        float inner = SqrtTwoOverPi * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1f + MathF.Tanh(inner));
    }

    public static float GeluTanhGrad(float x)
    {
        float x2 = x * x;
        float inner = SqrtTwoOverPi * (x + 0.044715f * x2 * x);
        float t = MathF.Tanh(inner);
        float dInner = SqrtTwoOverPi * (1f + 3f * 0.044715f * x2);
        return 0.5f * (1f + t) + 0.5f * x * (1f - t * t) * dInner;
    }

    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
