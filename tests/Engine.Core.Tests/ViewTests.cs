using Xunit;

namespace Engine.Core.Tests;

public class ViewTests
{
    [Fact]
    public void PermuteAndSliceAreViewsAndContiguousCopiesInLogicalOrder()
    {
        var t = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), 2, 3, 4);
        var p = t.Permute(2, 0, 1);
        Assert.Same(t.Storage, p.Storage);
        Assert.False(p.IsContiguous);
        Assert.Equal(new[] { 4, 2, 3 }, p.Shape);
        var a = p.ToArray();
        // p[i, j, k] = t[j, k, i] = 12 j + 4 k + i
        Assert.Equal(12 * 1 + 4 * 2 + 3, a[3 * 6 + 1 * 3 + 2]);
        var s = t.Slice(2, 1, 4, 2); // indices 1, 3 on the last axis
        Assert.Equal(new[] { 2, 3, 2 }, s.Shape);
        Assert.Equal(new float[] { 1, 3, 5, 7, 9, 11 }, s.ToArray().Take(6).ToArray());
    }

    [Fact]
    public void ExpandHasZeroStrideAndReshapeRejectsBadSizes()
    {
        var t = Tensor.FromArray(new float[] { 1, 2, 3 }, 3, 1);
        var e = t.Expand(2, 3, 4);
        Assert.Equal(0, e.Strides[0]);
        Assert.Equal(0, e.Strides[2]);
        Assert.Equal(24, e.ToArray().Length);
        var ex = Assert.Throws<ArgumentException>(() => t.Reshape(2, 2));
        Assert.Contains("Cannot reshape", ex.Message);
    }
}
