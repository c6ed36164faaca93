using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class MatMulTests
{
    /// <summary>Naive double-precision batched matmul over explicit logical indices (transposes applied).</summary>
    private static double[] Ref(Tensor a, Tensor b, bool ta, bool tb, int[] batch, int m, int n, int k)
    {
        var ea = (ta ? a.Transpose(-1, -2) : a).Expand(batch.Concat(new[] { m, k }).ToArray()).ToArray();
        var eb = (tb ? b.Transpose(-1, -2) : b).Expand(batch.Concat(new[] { k, n }).ToArray()).ToArray();
        int nb = batch.Aggregate(1, (p, d) => p * d);
        var r = new double[nb * m * n];
        for (int z = 0; z < nb; z++) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < k; p++) s += (double)ea[z * m * k + i * k + p] * eb[z * k * n + p * n + j];
            r[z * m * n + i * n + j] = s;
        }
        return r;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void BatchedBroadcastMatMulWithTransposes(bool ta, bool tb)
    {
        int m = 5, n = 7, k = 6;
        var a = Rand(1, ta ? new[] { 2, 1, k, m } : new[] { 2, 1, m, k });
        var b = Rand(2, tb ? new[] { 3, n, k } : new[] { 3, k, n });
        var y = Ops.MatMul(a, b, ta, tb);
        Assert.Equal(new[] { 2, 3, m, n }, y.Shape);
        Close(Ref(a, b, ta, tb, new[] { 2, 3 }, m, n, k), y.ToArray(), 1e-5, 1e-5);
        GradCheck(x => Ops.MatMul(x[0], x[1], ta, tb), new[] { a, b });
        // rank-2 b against batched a (the folded path)
        var b2 = Rand(3, tb ? new[] { n, k } : new[] { k, n });
        Close(Ref(a, b2, ta, tb, new[] { 2, 1 }, m, n, k), Ops.MatMul(a, b2, ta, tb).ToArray(), 1e-5, 1e-5);
        GradCheck(x => Ops.MatMul(x[0], x[1], ta, tb), new[] { Rand(4, ta ? new[] { 2, k, m } : new[] { 2, m, k }), b2 });
    }

    [Fact]
    public void MatMulAcceptsTransposedViewsAndLargeShapes()
    {
        var q = Rand(5, 2, 4, 33, 16); var kT = Rand(6, 2, 4, 16, 40).Transpose(-1, -2); // [2,4,40,16] view
        var y = Ops.MatMul(q, kT, transB: true);
        Close(Ref(q, kT, false, true, new[] { 2, 4 }, 33, 40, 16), y.ToArray(), 1e-4, 1e-5);
        var a = Rand(7, 130, 70); var b = Rand(8, 70, 90);
        Close(Ref(a, b, false, false, Array.Empty<int>(), 130, 90, 70), Ops.MatMul(a, b).ToArray(), 1e-4, 1e-5);
        var ex = Assert.Throws<ArgumentException>(() => Ops.MatMul(Rand(1, 2, 3), Rand(2, 4, 5)));
        Assert.Contains("[2, 3]", ex.Message);
    }

    [Fact]
    public void LinearMatchesReferenceAndGradients()
    {
        var x = Rand(1, 2, 3, 5); var w = Rand(2, 4, 5); var b = Rand(3, 4);
        var y = Ops.Linear(x, w, b);
        Assert.Equal(new[] { 2, 3, 4 }, y.Shape);
        var xa = x.ToArray(); var wa = w.ToArray(); var ba = b.ToArray();
        var exp = new double[24];
        for (int r = 0; r < 6; r++) for (int o = 0; o < 4; o++)
        {
            double s = ba[o];
            for (int i = 0; i < 5; i++) s += (double)xa[r * 5 + i] * wa[o * 5 + i];
            exp[r * 4 + o] = s;
        }
        Close(exp, y.ToArray(), 1e-5, 1e-5);
        GradCheck(t => Ops.Linear(t[0], t[1], t[2]), new[] { x, w, b });
        GradCheck(t => Ops.Linear(t[0], t[1]), new[] { Rand(4, 3, 5), Rand(5, 2, 5) });
        // transposed (non-contiguous) weight view and input view
        var wt = Rand(6, 5, 4).Transpose(0, 1);
        Close(D(Ops.Linear(x, wt.Contiguous()).ToArray()), Ops.Linear(x.Permute(0, 1, 2), wt).ToArray(), 1e-6);
        Assert.Throws<ArgumentException>(() => Ops.Linear(x, Rand(1, 4, 6)));
        Assert.Throws<ArgumentException>(() => Ops.Linear(x, w, Rand(1, 5)));
    }
}
