using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class ElementwiseTests
{
    [Fact]
    public void BroadcastBinaryOpsMatchNaiveIndexing()
    {
        var a = Rand(1, 2, 3, 4); var b = Rand(2, 3, 1); // b broadcasts over axes 0 and 2
        var aa = a.ToArray(); var ba = b.ToArray();
        var ops = new (Func<Tensor, Tensor, Tensor> f, Func<double, double, double> r)[]
        {
            (Ops.Add, (x, y) => x + y), (Ops.Sub, (x, y) => x - y), (Ops.Mul, (x, y) => x * y), (Ops.Div, (x, y) => x / y),
            (Ops.Maximum, Math.Max), (Ops.Minimum, Math.Min),
        };
        foreach (var (f, r) in ops)
        {
            var y = f(a, b);
            Assert.Equal(new[] { 2, 3, 4 }, y.Shape);
            var exp = new double[24];
            for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++)
                exp[i * 12 + j * 4 + k] = r(aa[i * 12 + j * 4 + k], ba[j]);
            Close(exp, y.ToArray(), 1e-6, 1e-6);
            // operands swapped and a non-contiguous (transposed) operand
            var yT = f(b.Expand(2, 3, 4).Permute(0, 2, 1).Contiguous().Permute(0, 2, 1), a);
            var expT = new double[24];
            for (int i = 0; i < 24; i++) expT[i] = r(ba[i / 4 % 3], aa[i]);
            Close(expT, yT.ToArray(), 1e-6, 1e-6);
        }
        var ex = Assert.Throws<ArgumentException>(() => Ops.Add(Rand(1, 2, 3), Rand(2, 4)));
        Assert.Contains("[2, 3]", ex.Message);
    }

    [Fact]
    public void BinaryGradientsSumOverBroadcastAxes()
    {
        var ops = new Func<Tensor, Tensor, Tensor>[] { Ops.Add, Ops.Sub, Ops.Mul, Ops.Div, Ops.Maximum, Ops.Minimum };
        foreach (var f in ops)
        {
            var a = Rand(3, 2, 3, 2); var b = Tensor.FromArray(new float[] { 1.5f, -2f, 2.5f }, 3, 1);
            GradCheck(x => f(x[0], x[1]), new[] { a, b });
        }
    }

    [Fact]
    public void UnaryOpsMatchDoubleReferences()
    {
        var x = Tensor.FromArray(new float[] { -4.5f, -2.2f, -1f, -0.3f, 0f, 0.25f, 0.9f, 1.7f, 3.1f, 5.5f }, 10);
        var xa = D(x.ToArray());
        var pos = Tensor.FromArray(new float[] { 0.1f, 0.5f, 1f, 2.5f, 9f }, 5);
        var pa = D(pos.ToArray());
        void Check(Func<Tensor, Tensor> f, Func<double, double> r, Tensor input, double[] vals, double tol = 2e-6)
            => Close(vals.Select(r).ToArray(), f(input).ToArray(), tol, tol);
        Check(Ops.Neg, v => -v, x, xa);
        Check(Ops.Exp, Math.Exp, x, xa);
        Check(Ops.Abs, Math.Abs, x, xa);
        Check(Ops.Square, v => v * v, x, xa);
        Check(Ops.Tanh, Math.Tanh, x, xa);
        Check(Ops.Sigmoid, v => 1 / (1 + Math.Exp(-v)), x, xa);
        Check(Ops.Relu, v => Math.Max(v, 0), x, xa);
        // exact GELU, reference values from Python's math.erfc: 0.5 x erfc(-x / sqrt 2)
        Close(new[] { -1.5289529061285276e-05, -0.030587584529696944, -0.15865525393145707, -0.1146265733433142, 0.0,
                      0.14967658142073093, 0.7343458871879165, 1.6242387133104768, 3.0970004300390235, 5.499999895557407 },
              Ops.Gelu(x).ToArray(), 1e-7, 1e-6);
        Check(Ops.GeluTanh, v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), x, xa);
        Check(Ops.QuickGelu, v => v / (1 + Math.Exp(-1.702 * v)), x, xa);
        Check(t => Ops.Clamp(t, -1f, 2f), v => Math.Clamp(v, -1, 2), x, xa);
        Check(t => Ops.Add(t, 1.5f), v => v + 1.5, x, xa);
        Check(t => Ops.Mul(t, -3f), v => v * -3, x, xa);
        Check(t => Ops.RSub(2f, t), v => 2 - v, x, xa);
        Check(Ops.Log, Math.Log, pos, pa);
        Check(Ops.Sqrt, Math.Sqrt, pos, pa);
        Check(Ops.Rsqrt, v => 1 / Math.Sqrt(v), pos, pa);
        Check(t => Ops.RDiv(3f, t), v => 3 / v, pos, pa);
        Check(t => Ops.Pow(t, 1.7f), v => Math.Pow(v, 1.7), pos, pa);
        // exact GELU deep in the negative tail keeps relative precision (erfc form)
        Close(new[] { -5.919525870226207e-09 }, Ops.Gelu(Tensor.FromArray(new float[] { -6f }, 1)).ToArray(), 0, 1e-5);
        // operators route to the same ops
        Close(xa.Select(v => 2 - v * 3 + 1).ToArray(), (2f - x * 3f + 1f).ToArray(), 1e-5);
    }

    [Fact]
    public void FastErfcTableMatchesTheSeriesAndContinuedFraction()
    {
        for (double x = -9.5; x <= 9.5; x += 0.00731)
        {
            double exact = Engine.Backends.ScalarMath.Erfc(x), fast = Engine.Backends.ScalarMath.ErfcFast(x);
            Assert.True(Math.Abs(fast - exact) <= 1e-12 + 1e-8 * Math.Abs(exact), $"erfc({x}): fast {fast:R}, exact {exact:R}");
        }
        Assert.Equal(0.0, Engine.Backends.ScalarMath.ErfcFast(12));
        Assert.Equal(2.0, Engine.Backends.ScalarMath.ErfcFast(-12));
    }

    [Fact]
    public void UnaryGradientsMatchFiniteDifferences()
    {
        var fs = new Func<Tensor, Tensor>[]
        {
            Ops.Neg, Ops.Exp, Ops.Abs, Ops.Square, Ops.Tanh, Ops.Sigmoid, Ops.Relu, Ops.Gelu, Ops.GeluTanh, Ops.QuickGelu,
            t => Ops.Clamp(t, -0.5f, 0.7f), t => Ops.Add(t, 2f), t => Ops.Mul(t, -1.5f), t => Ops.RSub(1f, t),
        };
        // values away from kinks (0 for abs/relu, the clamp bounds)
        var vals = new float[] { -1.3f, -0.8f, -0.2f, 0.15f, 0.4f, 1.1f, 2.0f };
        foreach (var f in fs) GradCheck(x => f(x[0]), new[] { Tensor.FromArray((float[])vals.Clone(), 7) });
        var posVals = new float[] { 0.4f, 0.9f, 1.6f, 3.0f };
        var pfs = new Func<Tensor, Tensor>[] { Ops.Log, Ops.Sqrt, Ops.Rsqrt, t => Ops.RDiv(2f, t), t => Ops.Pow(t, 2.5f), t => Ops.Pow(t, -1f) };
        foreach (var f in pfs) GradCheck(x => f(x[0]), new[] { Tensor.FromArray((float[])posVals.Clone(), 4) }, eps: 1e-3f);
    }

    [Fact]
    public void WhereAndMaskedFillBroadcastAndRouteGradients()
    {
        var mask = new Tensor(CpuStorage.WrapBytes(new byte[] { 1, 0, 1 }, DType.Bool), new[] { 3 });
        var a = Rand(5, 2, 3); var b = Rand(6, 2, 1);
        var y = Ops.Where(mask, a, b);
        var aa = a.ToArray(); var ba = b.ToArray();
        var exp = new double[6];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) exp[i * 3 + j] = j != 1 ? aa[i * 3 + j] : ba[i];
        Close(exp, y.ToArray(), 0);
        GradCheck(x => Ops.Where(mask, x[0], x[1]), new[] { a, b });

        var s = Rand(7, 2, 3);
        var m2 = Tensor.FromArray(new long[] { 0, 1, 1 }, 1, 3);
        var f = Ops.MaskedFill(s, m2, float.NegativeInfinity).ToArray();
        Assert.True(float.IsNegativeInfinity(f[1]) && float.IsNegativeInfinity(f[5]));
        Assert.Equal(s.ToArray()[0], f[0]);
        GradCheck(x => Ops.MaskedFill(x[0], m2, 3f), new[] { s });
        Assert.Throws<ArgumentException>(() => Ops.MaskedFill(Rand(1, 3), Tensor.FromArray(new long[] { 1, 0, 1, 1 }, 2, 2), 0f));
    }

    [Fact]
    public void DropoutScalesKeptValuesAndIsIdentityInEval()
    {
        var x = Tensor.Ones(10000);
        Assert.Same(x, Ops.Dropout(x, 0.3f, training: false, new Random(1)));
        var y = Ops.Dropout(x, 0.25f, training: true, new Random(1)).ToArray();
        int kept = y.Count(v => v != 0);
        Assert.InRange(kept, 7200, 7800);
        Assert.All(y.Where(v => v != 0), v => Assert.Equal(1f / 0.75f, v, 6));
        var xg = RandGrad(2, 50);
        var yy = Ops.Dropout(xg, 0.5f, true, new Random(3));
        Ops.Sum(yy).Backward();
        var g = xg.Grad!.ToArray(); var yv = yy.ToArray(); var xv = xg.ToArray();
        for (int i = 0; i < 50; i++) Assert.Equal(yv[i] == 0 ? 0f : 2f, g[i]);
        _ = xv;
    }
}
