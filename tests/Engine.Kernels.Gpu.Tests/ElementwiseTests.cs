using Engine.Kernels.Gpu;
using Xunit;

namespace Engine.Kernels.Gpu.Tests;

[Collection(SimulatorCollection.Name)]
public sealed class ElementwiseTests(SimulatorFixture fx)
{
    private readonly GpuDevice _dev = fx.Device;

    private static double ErfRef(double x)
    {
        // High-precision series / continued fraction reference (double): erf via Taylor for |x| < 3, else 1 - tiny.
        double ax = Math.Abs(x);
        if (ax > 5) return Math.Sign(x);
        double sum = 0, term = ax; int n = 0;
        while (Math.Abs(term) > 1e-17 * Math.Max(1, Math.Abs(sum)) && n < 200)
        {
            sum += term / (2 * n + 1);
            n++;
            term *= -ax * ax / n;
        }
        return Math.Sign(x) * 2 / Math.Sqrt(Math.PI) * sum;
    }

    [Fact]
    public void ErfIsAccurateToOneEMinus7()
    {
        double worst = 0;
        for (double x = -4.5; x <= 4.5; x += 0.0013)
            worst = Math.Max(worst, Math.Abs(GpuMath.Erf((float)x) - ErfRef((float)x)));
        Assert.True(worst < 1.5e-7, $"max |erf error| = {worst:E2}");
    }

    [Fact]
    public void ExpAndLogAreAccurateToAFewUlp()
    {
        for (double x = -100; x <= 88; x += 0.0137)
        {
            double e = Math.Exp((float)x), got = GpuMath.Exp((float)x);
            Assert.True(Math.Abs(got - e) <= 4e-7 * e + 1e-44, $"exp({(float)x}) = {got}, expected {e}");
        }
        for (double x = 1e-30; x < 1e30; x *= 1.0173)
        {
            double l = Math.Log((float)x), got = GpuMath.Log((float)x);
            Assert.True(Math.Abs(got - l) <= 2e-7 * Math.Max(1, Math.Abs(l)), $"log({(float)x}) = {got}, expected {l}");
        }
        Assert.True(float.IsNaN(GpuMath.Log(-1f)));
        Assert.Equal(float.NegativeInfinity, GpuMath.Log(0f));
        Assert.Equal(float.PositiveInfinity, GpuMath.Exp(100f));
    }

    [Fact]
    public void TanhIsAccurate()
    {
        double worst = 0;
        for (double x = -10; x <= 10; x += 0.0007) worst = Math.Max(worst, Math.Abs(GpuMath.Tanh((float)x) - Math.Tanh((float)x)));
        Assert.True(worst < 1.5e-7, $"max |tanh error| = {worst:E2}");
        Assert.Equal(1e-5f, GpuMath.Tanh(1e-5f), 1e-12f);
    }

    private static double Ref(UnaryOp op, double x, double a, double b) => op switch
    {
        UnaryOp.Neg => -x, UnaryOp.Exp => Math.Exp(x), UnaryOp.Log => Math.Log(x), UnaryOp.Sqrt => Math.Sqrt(x),
        UnaryOp.Rsqrt => 1 / Math.Sqrt(x), UnaryOp.Abs => Math.Abs(x), UnaryOp.Square => x * x, UnaryOp.Tanh => Math.Tanh(x),
        UnaryOp.Sigmoid => 1 / (1 + Math.Exp(-x)), UnaryOp.Relu => Math.Max(x, 0),
        UnaryOp.Gelu => 0.5 * x * (1 + ErfRef(x / Math.Sqrt(2))),
        UnaryOp.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        UnaryOp.QuickGelu => x / (1 + Math.Exp(-1.702 * x)),
        UnaryOp.AddScalar => x + a, UnaryOp.MulScalar => x * a, UnaryOp.RSubScalar => a - x, UnaryOp.RDivScalar => a / x,
        UnaryOp.PowScalar => Math.Pow(x, a), UnaryOp.Clamp => Math.Clamp(x, a, b), _ => x,
    };

    [Theory]
    [InlineData(UnaryOp.Neg, 0, 0)] [InlineData(UnaryOp.Exp, 0, 0)] [InlineData(UnaryOp.Log, 0, 0)] [InlineData(UnaryOp.Sqrt, 0, 0)]
    [InlineData(UnaryOp.Rsqrt, 0, 0)] [InlineData(UnaryOp.Abs, 0, 0)] [InlineData(UnaryOp.Square, 0, 0)] [InlineData(UnaryOp.Tanh, 0, 0)]
    [InlineData(UnaryOp.Sigmoid, 0, 0)] [InlineData(UnaryOp.Relu, 0, 0)] [InlineData(UnaryOp.Gelu, 0, 0)] [InlineData(UnaryOp.GeluTanh, 0, 0)]
    [InlineData(UnaryOp.QuickGelu, 0, 0)] [InlineData(UnaryOp.AddScalar, 1.5f, 0)] [InlineData(UnaryOp.MulScalar, -2f, 0)]
    [InlineData(UnaryOp.RSubScalar, 3f, 0)] [InlineData(UnaryOp.RDivScalar, 2f, 0)] [InlineData(UnaryOp.PowScalar, 1.7f, 0)]
    [InlineData(UnaryOp.Clamp, -0.5f, 0.7f)]
    public void UnaryForwardAndBackwardMatchReference(UnaryOp op, float a, float b)
    {
        bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.PowScalar or UnaryOp.RDivScalar;
        var x = TestUtil.Random(257, 11, positive ? 0.2f : -4f, positive ? 3f : 4f);
        var g = TestUtil.Random(257, 12);
        using var dx = _dev.Upload<float>(x); using var dy = _dev.Rent<float>(x.Length); using var dg = _dev.Upload<float>(g); using var dgx = _dev.Rent<float>(x.Length);
        Elementwise.Unary(_dev, op, dx.View, dy.View, x.Length, a, b);
        Elementwise.UnaryBackward(_dev, op, dx.View, dy.View, dg.View, dgx.View, x.Length, a, b);
        var y = _dev.Download(dy.View); var gx = _dev.Download(dgx.View);
        var ey = x.Select(v => (float)Ref(op, v, a, b)).ToArray();
        // Central differences in double on the reference function.
        var egx = x.Select((v, i) => (float)(g[i] * (Ref(op, v + 1e-5, a, b) - Ref(op, v - 1e-5, a, b)) / 2e-5)).ToArray();
        if (op == UnaryOp.Relu || op == UnaryOp.Abs || op == UnaryOp.Clamp) egx = x.Select((v, i) => (float)(g[i] * (Ref(op, v + 1e-5, a, b) - Ref(op, v - 1e-5, a, b)) / 2e-5)).ToArray();
        TestUtil.Close(ey, y, 2e-6f, 2e-6f, $"{op} forward");
        TestUtil.Close(egx, gx, 1e-4f, 1e-4f, $"{op} backward");
    }

    [Fact]
    public void BroadcastBinaryForwardBackwardAndSumToShape()
    {
        // a [2, 3, 4] contiguous, b [3, 1] broadcast to [2, 3, 4] (strides 0, 1, 0).
        int[] shape = { 2, 3, 4 };
        var a = TestUtil.Random(24, 21); var b = TestUtil.Random(3, 22, 0.5f, 2f); var g = TestUtil.Random(24, 23);
        using var da = _dev.Upload<float>(a); using var db = _dev.Upload<float>(b); using var dg = _dev.Upload<float>(g);
        using var dy = _dev.Rent<float>(24); using var ga = _dev.Rent<float>(24); using var gbFull = _dev.Rent<float>(24); using var gb = _dev.Rent<float>(3);
        foreach (var op in new[] { BinaryOp.Add, BinaryOp.Sub, BinaryOp.Mul, BinaryOp.Div, BinaryOp.Maximum, BinaryOp.Minimum })
        {
            Elementwise.Binary(_dev, op, shape, da.View, 0, new long[] { 12, 4, 1 }, db.View, 0, new long[] { 0, 1, 0 }, dy.View);
            Elementwise.BinaryBackward(_dev, op, shape, da.View, 0, new long[] { 12, 4, 1 }, db.View, 0, new long[] { 0, 1, 0 }, dg.View, ga.View, gbFull.View);
            Elementwise.SumToShape(_dev, gbFull.View, shape, gb.View, new[] { 3, 1 });
            var y = _dev.Download(dy.View); var gaH = _dev.Download(ga.View); var gbH = _dev.Download(gb.View);
            var ey = new float[24]; var ega = new float[24]; var egb = new float[3];
            for (int i = 0; i < 24; i++)
            {
                float av = a[i], bv = b[(i / 4) % 3];
                (ey[i], ega[i], float db_) = op switch
                {
                    BinaryOp.Add => (av + bv, g[i], g[i]),
                    BinaryOp.Sub => (av - bv, g[i], -g[i]),
                    BinaryOp.Mul => (av * bv, g[i] * bv, g[i] * av),
                    BinaryOp.Div => (av / bv, g[i] / bv, -g[i] * av / (bv * bv)),
                    BinaryOp.Maximum => (Math.Max(av, bv), av > bv ? g[i] : 0, av > bv ? 0 : g[i]),
                    _ => (Math.Min(av, bv), av < bv ? g[i] : 0, av < bv ? 0 : g[i]),
                };
                egb[(i / 4) % 3] += db_;
            }
            TestUtil.Close(ey, y, 1e-6f, 1e-6f, $"{op}");
            TestUtil.Close(ega, gaH, 1e-6f, 1e-6f, $"{op} grad a");
            TestUtil.Close(egb, gbH, 1e-5f, 1e-5f, $"{op} grad b");
        }
    }

    [Theory]
    [InlineData(new[] { 2, 150, 3 }, new[] { 3 })]        // a bias gradient: long reduction, few outputs (split in chunks)
    [InlineData(new[] { 150, 2, 5 }, new[] { 2, 1 })]     // reduced axes on both sides of a kept one
    [InlineData(new[] { 3, 4, 5 }, new[] { 3, 1, 5 })]    // short reduction: one pass
    public void SumToShapeMatchesHostSums(int[] srcShape, int[] dstShape)
    {
        int n = srcShape.Aggregate(1, (a, b) => a * b), m = dstShape.Aggregate(1, (a, b) => a * b);
        var src = TestUtil.Random(n, 41);
        var expected = new double[m];
        var dims = dstShape.Reverse().Concat(Enumerable.Repeat(1, srcShape.Length - dstShape.Length)).Reverse().ToArray();
        for (int i = 0; i < n; i++)
        {
            int rem = i, dst = 0, mul = 1;
            for (int ax = srcShape.Length - 1; ax >= 0; ax--)
            {
                int c = rem % srcShape[ax]; rem /= srcShape[ax];
                if (dims[ax] != 1) { dst += c * mul; mul *= dims[ax]; }
            }
            expected[dst] += src[i];
        }
        using var s = _dev.Upload<float>(src); using var d = _dev.Rent<float>(m);
        Elementwise.SumToShape(_dev, s.View, srcShape, d.View, dstShape);
        TestUtil.Close(expected.Select(v => (float)v).ToArray(), _dev.Download(d.View), 1e-5f, 1e-5f, "sum to shape");
    }

    [Fact]
    public void StridedCopyOfSixAxesReversesThem()
    {
        // [2, 3, 2, 3, 2, 3] with every axis reversed in order: no two axes merge, all six index divisions are used.
        int[] shape = { 2, 3, 2, 3, 2, 3 };
        var srcStrides = Layout6.ContiguousStrides(shape.Reverse().ToArray()).Reverse().ToArray();
        var dstStrides = Layout6.ContiguousStrides(shape);
        Assert.Equal(6, Layout6.Create(shape, srcStrides, 0, dstStrides, 0).Rank);
        var src = Enumerable.Range(0, 216).Select(v => (float)v).ToArray();
        using var s = _dev.Upload<float>(src); using var d = _dev.Rent<float>(216);
        Elementwise.CopyStrided(_dev, s.View, 0, srcStrides, shape, d.View, 0, dstStrides);
        var got = _dev.Download(d.View);
        for (int i = 0; i < 216; i++)
        {
            long rem = i, off = 0;
            for (int ax = 5; ax >= 0; ax--) { off += rem % shape[ax] * srcStrides[ax]; rem /= shape[ax]; }
            Assert.Equal(src[off], got[i]);
        }
    }

    [Fact]
    public void StridedCopyTransposesAllDtypes()
    {
        // [3, 5] row-major -> its transpose into a contiguous [5, 3].
        var src = Enumerable.Range(0, 15).ToArray();
        using var sI = _dev.Upload<int>(src); using var dI = _dev.Rent<int>(15);
        Elementwise.CopyStrided(_dev, sI.View, 0, new long[] { 1, 5 }, new[] { 5, 3 }, dI.View, 0, new long[] { 3, 1 });
        var got = _dev.Download(dI.View);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 3; j++) Assert.Equal(src[j * 5 + i], got[i * 3 + j]);
        using var sL = _dev.Upload<long>(src.Select(v => (long)v << 33).ToArray()); using var dL = _dev.Rent<long>(15);
        Elementwise.CopyStrided(_dev, sL.View, 0, new long[] { 1, 5 }, new[] { 5, 3 }, dL.View, 0, new long[] { 3, 1 });
        Assert.Equal((long)src[1 * 5 + 2] << 33, _dev.Download(dL.View)[2 * 3 + 1]);
        using var sF = _dev.Upload<float>(src.Select(v => (float)v).ToArray()); using var dF = _dev.Rent<float>(15);
        Elementwise.CopyStrided(_dev, sF.View, 2, new long[] { 5, 1 }, new[] { 2, 3 }, dF.View, 0, new long[] { 3, 1 });
        Assert.Equal(new float[] { 2, 3, 4, 7, 8, 9 }, _dev.Download(dF.View).Take(6).ToArray());
        Assert.Throws<ArgumentException>(() => Elementwise.CopyStrided(_dev, sF.View, 5, new long[] { 5, 1 }, new[] { 3, 3 }, dF.View, 0, new long[] { 3, 1 }));
    }

    [Fact]
    public void WhereSelectsWithBroadcastMask()
    {
        using var m = _dev.Upload<float>(new float[] { 1, 0, 1 }); using var a = _dev.Upload<float>(new float[] { 1, 2, 3, 4, 5, 6 });
        using var b = _dev.Upload<float>(new float[] { -1 }); using var y = _dev.Rent<float>(6);
        Elementwise.Where(_dev, new[] { 2, 3 }, m.View, 0, new long[] { 0, 1 }, a.View, 0, new long[] { 3, 1 }, b.View, 0, new long[] { 0, 0 }, y.View);
        Assert.Equal(new float[] { 1, -1, 3, 4, -1, 6 }, _dev.Download(y.View));
    }
}
