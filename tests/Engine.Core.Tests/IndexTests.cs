using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class IndexTests
{
    [Fact]
    public void EmbeddingLooksUpRowsAndAccumulatesRepeatedIds()
    {
        var w = Rand(1, 5, 3);
        var ids = Tensor.FromArray(new long[] { 4, 0, 4, 2 }, 2, 2);
        var y = Ops.Embedding(w, ids);
        Assert.Equal(new[] { 2, 2, 3 }, y.Shape);
        var wa = w.ToArray(); var ya = y.ToArray();
        long[] id = { 4, 0, 4, 2 };
        for (int i = 0; i < 4; i++) for (int d = 0; d < 3; d++) Assert.Equal(wa[id[i] * 3 + d], ya[i * 3 + d]);
        Assert.Equal(ya, Ops.Embedding(w, Tensor.FromArray(new[] { 4, 0, 4, 2 }, 2, 2)).ToArray());
        GradCheck(t => Ops.Embedding(t[0], ids), new[] { w });
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(w, Tensor.FromArray(new long[] { 1, 5 }, 2)));
        Assert.Contains("id 5", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(w, Tensor.FromArray(new long[] { -1 }, 1)));
        Assert.Throws<ArgumentException>(() => Ops.Embedding(w, Tensor.FromArray(new float[] { 1 }, 1)));
    }

    [Fact]
    public void IndexSelectAndGatherFollowTorch()
    {
        var x = Rand(1, 3, 4);
        var xa = x.ToArray();
        var s = Ops.IndexSelect(x, 1, Tensor.FromArray(new long[] { 3, 1 }, 2)).ToArray();
        Assert.Equal(new[] { xa[3], xa[1], xa[7], xa[5], xa[11], xa[9] }, s);
        GradCheck(t => Ops.IndexSelect(t[0], 0, Tensor.FromArray(new long[] { 2, 2, 0 }, 3)), new[] { Rand(2, 3, 4) });
        // gather along 1 with an index smaller than x on axis 0
        var idx = Tensor.FromArray(new long[] { 0, 3, 3, 2, 1, 1 }, 2, 3);
        var g = Ops.Gather(x, 1, idx).ToArray();
        Assert.Equal(new[] { xa[0], xa[3], xa[3], xa[6], xa[5], xa[5] }, g);
        GradCheck(t => Ops.Gather(t[0], 1, idx), new[] { Rand(3, 3, 4) });
        GradCheck(t => Ops.Gather(t[0], 0, Tensor.FromArray(new long[] { 2, 0, 1, 1 }, 1, 4)), new[] { Rand(4, 3, 4) });
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Gather(x, 1, Tensor.FromArray(new long[] { 4 }, 1, 1)));
    }

    [Fact]
    public void CatStackSplit()
    {
        var a = Rand(1, 2, 3); var b = Rand(2, 2, 1); var c = Rand(3, 2, 2);
        var y = Ops.Cat(new[] { a, b, c }, 1);
        Assert.Equal(new[] { 2, 6 }, y.Shape);
        var aa = a.ToArray(); var ba = b.ToArray(); var ca = c.ToArray();
        Assert.Equal(new[] { aa[0], aa[1], aa[2], ba[0], ca[0], ca[1], aa[3], aa[4], aa[5], ba[1], ca[2], ca[3] }, y.ToArray());
        GradCheck(t => Ops.Cat(t, -1), new[] { a, b, c });
        var s = Ops.Stack(new[] { a, Rand(4, 2, 3) }, 1);
        Assert.Equal(new[] { 2, 2, 3 }, s.Shape);
        Assert.Equal(aa.Take(3), s.ToArray().Take(3));
        GradCheck(t => Ops.Stack(t, 0), new[] { Rand(5, 2, 3), Rand(6, 2, 3) });
        var parts = Ops.Split(y, new[] { 4, 2 }, 1);
        Assert.Equal(new[] { 2, 4 }, parts[0].Shape);
        Assert.Equal(new[] { ca[0], ca[1], ca[2], ca[3] }, parts[1].ToArray());
        GradCheck(t => Ops.Mul(Ops.Split(t[0], new[] { 1, 2 }, 0)[1], 2f), new[] { Rand(7, 3, 2) });
        Assert.Throws<ArgumentException>(() => Ops.Cat(new[] { a, Rand(1, 3, 3) }, 1));
        Assert.Throws<ArgumentException>(() => Ops.Split(y, new[] { 4, 3 }, 1));
        // int tensors concatenate too (ids)
        var ids = Ops.Cat(new[] { Tensor.FromArray(new long[] { 1, 2 }, 2), Tensor.FromArray(new long[] { 3 }, 1) }, 0);
        Assert.Equal(new long[] { 1, 2, 3 }, ids.ToInt64Array());
    }
}
