using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class ReduceTests
{
    [Fact]
    public void SumAndMeanOverAllAndEachAxis()
    {
        var x = Rand(1, 2, 3, 4); var xa = x.ToArray();
        Assert.Empty(Ops.Sum(x).Shape);
        Close(new[] { xa.Sum(v => (double)v) }, Ops.Sum(x).ToArray(), 1e-5);
        Close(new[] { xa.Average(v => (double)v) }, Ops.Mean(x).ToArray(), 1e-6);
        for (int axis = 0; axis < 3; axis++)
        {
            var shape = new[] { 2, 3, 4 };
            var outShape = shape.Where((_, i) => i != axis).ToArray();
            var exp = new double[outShape.Aggregate(1, (p, d) => p * d)];
            for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++)
            {
                int[] idx = { i, j, k };
                var o = idx.Where((_, d) => d != axis).ToArray();
                int flat = 0; for (int d = 0; d < o.Length; d++) flat = flat * outShape[d] + o[d];
                exp[flat] += xa[i * 12 + j * 4 + k];
            }
            Close(exp, Ops.Sum(x, axis).ToArray(), 1e-5);
            Close(exp.Select(v => v / shape[axis]).ToArray(), Ops.Mean(x, axis - 3, keepDim: true).ToArray(), 1e-6);
            Assert.Equal(3, Ops.Sum(x, axis, keepDim: true).Rank);
            GradCheck(t => Ops.Sum(t[0], axis), new[] { Rand(2, 2, 3, 4) });
            GradCheck(t => Ops.Mean(t[0], axis, keepDim: true), new[] { Rand(3, 2, 3, 4) });
        }
        GradCheck(t => Ops.Sum(t[0]), new[] { Rand(4, 3, 2) });
        GradCheck(t => Ops.Mean(t[0]), new[] { Rand(5, 3, 2) });
        // a long sum keeps float accuracy (pairwise)
        var big = Tensor.Full(0.1f, 1_000_000);
        Assert.Equal(100000.0, Ops.Sum(big).Item(), 0.5);
        // reduction of a non-contiguous view
        var p = x.Permute(2, 0, 1);
        Close(D(Ops.Sum(p.Contiguous(), 1).ToArray()), Ops.Sum(p, 1).ToArray(), 1e-6);
    }

    [Fact]
    public void SumToShapeInvertsBroadcasting()
    {
        var g = Rand(1, 2, 3, 4);
        var s = Ops.SumToShape(g, new[] { 3, 1 });
        var ga = g.ToArray();
        var exp = new double[3];
        for (int i = 0; i < 24; i++) exp[i / 4 % 3] += ga[i];
        Close(exp, s.ToArray(), 1e-5);
        Assert.Equal(new[] { 3, 1 }, s.Shape);
        Assert.Throws<ArgumentException>(() => Ops.SumToShape(g, new[] { 2, 4 }));
        GradCheck(t => Ops.SumToShape(t[0], new[] { 1, 4 }), new[] { Rand(2, 2, 3, 4) });
    }

    [Fact]
    public void MaxReturnsFirstMaximumAndRoutesGradientThere()
    {
        var x = Tensor.FromArray(new float[] { 1, 5, 5, 2, -1, -3, -1, -7 }, 2, 4);
        var (v, i) = Ops.Max(x, 1);
        Assert.Equal(new float[] { 5, -1 }, v.ToArray());
        Assert.Equal(new long[] { 1, 0 }, i.ToInt64Array());
        Assert.Equal(DType.I64, i.DType);
        Assert.Equal(new long[] { 1, 0 }, Ops.ArgMax(x, -1).ToInt64Array());
        Assert.Equal(new long[] { 0, 0, 0, 0 }, Ops.ArgMax(x, 0).ToInt64Array());
        Assert.Equal(new[] { 2, 1 }, Ops.Max(x, 1, keepDim: true).values.Shape);
        x.RequiresGrad = true;
        Ops.Sum(Ops.Max(x, 1).values).Backward();
        Assert.Equal(new float[] { 0, 1, 0, 0, 1, 0, 0, 0 }, x.Grad!.ToArray());
        GradCheck(t => Ops.Max(t[0], 0).values, new[] { Rand(3, 4, 3) });
    }
}
