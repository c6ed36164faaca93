using Xunit;

namespace Engine.Core.Tests;

/// <summary>Assertions, random inputs and the finite-difference gradient check shared by the op tests.</summary>
internal static class TestUtil
{
    public static Tensor Rand(int seed, params int[] shape) => Tensor.Randn(new Random(seed), shape);

    public static Tensor RandGrad(int seed, params int[] shape) { var t = Rand(seed, shape); t.RequiresGrad = true; return t; }

    public static void Close(double[] expected, float[] actual, double atol, double rtol = 0, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = atol + rtol * Math.Abs(expected[i]);
            if (double.IsNaN(expected[i])) { Assert.True(float.IsNaN(actual[i]), $"{what}[{i}]: expected NaN, got {actual[i]}"); continue; }
            if (double.IsInfinity(expected[i])) { Assert.Equal(expected[i], actual[i]); continue; }
            if (!(Math.Abs(expected[i] - actual[i]) <= tol))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (|diff| {Math.Abs(expected[i] - actual[i]):E2} > tol {tol:E2})");
        }
    }

    public static void Close(float[] expected, float[] actual, double atol, double rtol = 0, string what = "")
        => Close(Array.ConvertAll(expected, x => (double)x), actual, atol, rtol, what);

    public static double[] D(float[] x) => Array.ConvertAll(x, v => (double)v);

    /// <summary>
    /// Finite-difference gradient check. The scalar objective is sum(f(inputs) * w) with fixed random weights w (so
    /// every output element matters with a different weight). Numeric derivatives are central differences in float32
    /// with step <paramref name="eps"/>; inputs should be small and well-conditioned (no kinks within eps).
    /// Tolerance: |analytic - numeric| &lt;= atol + rtol * |numeric|.
    /// </summary>
    public static void GradCheck(Func<Tensor[], Tensor> f, Tensor[] inputs, float eps = 1e-2f, double atol = 2e-3, double rtol = 2e-2, bool[]? check = null)
    {
        foreach (var t in inputs) t.RequiresGrad = true;
        var y0 = f(inputs);
        var w = Tensor.Randn(new Random(12345), y0.Shape);
        var loss = Ops.Sum(Ops.Mul(y0, w));
        foreach (var t in inputs) t.Grad = null;
        loss.Backward();
        var wArr = w.ToArray();
        for (int k = 0; k < inputs.Length; k++)
        {
            if (check != null && !check[k]) continue;
            var x = inputs[k];
            Assert.True(x.Grad != null, $"input {k} got no gradient");
            var analytic = x.Grad!.ToArray();
            var data = x.AsSpan();
            for (int i = 0; i < data.Length; i++)
            {
                float orig = data[i];
                double plus, minus;
                using (Tensor.NoGrad())
                {
                    data[i] = orig + eps; plus = Dot(f(inputs).ToArray(), wArr);
                    data[i] = orig - eps; minus = Dot(f(inputs).ToArray(), wArr);
                }
                data[i] = orig;
                double numeric = (plus - minus) / (2 * eps);
                double tol = atol + rtol * Math.Abs(numeric);
                if (!(Math.Abs(numeric - analytic[i]) <= tol))
                    Assert.Fail($"gradient of input {k} [{i}]: analytic {analytic[i]:R}, numeric {numeric:R} (tol {tol:E2})");
            }
        }
    }

    private static double Dot(float[] a, float[] b) { double s = 0; for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i]; return s; }
}
