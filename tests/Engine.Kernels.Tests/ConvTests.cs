using Engine.Kernels.Cpu;
using Xunit;

namespace Engine.Kernels.Tests;

/// <summary>im2col + GEMM convolution and transposed convolution (forward, backward-data, backward-weight, bias)
/// against the naive direct loops.</summary>
[Collection("KernelChoice")]
public class ConvTests
{
    public static IEnumerable<object[]> ConvShapes() =>
    [
        // batch, cin, h, w, cout, kh, kw, stride, pad, dilation, groups
        [2, 3, 9, 11, 4, 3, 3, 1, 1, 1, 1],
        [1, 4, 10, 10, 6, 3, 3, 2, 1, 1, 2],
        [2, 6, 8, 7, 6, 3, 2, 1, 2, 2, 3],
        [1, 5, 7, 9, 3, 1, 1, 1, 0, 1, 1],   // pointwise: no im2col
        [3, 4, 12, 12, 8, 5, 5, 3, 2, 1, 1],
        [1, 16, 13, 13, 20, 3, 3, 1, 1, 1, 1],
        [1, 8, 6, 6, 8, 1, 1, 2, 0, 1, 4],   // strided 1x1 goes through im2col
        [1, 3, 5, 5, 4, 1, 1, 1, 1, 1, 1],   // padded 1x1: backward-data cannot run as a forward conv
        [1, 3, 30, 21, 5, 3, 3, 1, 1, 1, 1], // rows of 21 and 30: plain-load runs, row-straddling groups, edges
        [2, 2, 9, 40, 3, 3, 3, 2, 1, 2, 1],  // strided, dilated, wide
    ];

    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void Conv2dMatchesDirect(int batch, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad, int dil, int groups)
        => CheckConv2d(batch, cin, h, w, cout, kh, kw, stride, pad, dil, groups);

    /// <summary>The portable im2col packers (row copies + transposes) that machines without AVX2 use.</summary>
    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void Conv2dMatchesDirect_RowCopyPacking(int batch, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad, int dil, int groups)
    {
        Im2ColPackB.ForceRowCopies = true;
        try { CheckConv2d(batch, cin, h, w, cout, kh, kw, stride, pad, dil, groups); }
        finally { Im2ColPackB.ForceRowCopies = false; }
    }

    private static void CheckConv2d(int batch, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad, int dil, int groups)
    {
        var s = new Conv2dShape(batch, cin, h, w, cout, kh, kw, stride, stride, pad, pad, dil, dil, groups);
        var x = TestData.Random((int)s.InputSize + 2, 1);
        var wt = TestData.Random((int)s.WeightSize + 1, 2);
        var bias = TestData.Random(cout, 3);
        var dy = TestData.Random((int)s.OutputSize, 4);
        float tol = 1e-4f * MathF.Sqrt(cin * kh * kw);

        var yRef = new float[s.OutputSize];
        ConvReference.Conv2dForward(s, x[2..], wt[1..], bias, yRef);
        var y = Enumerable.Repeat(float.NaN, (int)s.OutputSize).ToArray();
        Conv2dKernels.Forward(s, x, 2, wt, 1, bias, 0, y, 0);
        TestData.AssertClose(yRef, y, tol, 1e-4f, "conv forward");

        var dxRef = new float[s.InputSize];
        ConvReference.Conv2dBackwardData(s, dy, wt[1..], dxRef);
        var dx = Enumerable.Repeat(float.NaN, (int)s.InputSize).ToArray();
        Conv2dKernels.BackwardData(s, dy, 0, wt, 1, dx, 0);
        TestData.AssertClose(dxRef, dx, tol, 1e-4f, "conv backward-data");

        var dwRef = new float[s.WeightSize];
        ConvReference.Conv2dBackwardWeight(s, x[2..], dy, dwRef);
        var dw = Enumerable.Repeat(float.NaN, (int)s.WeightSize).ToArray();
        var db = new float[cout];
        Conv2dKernels.BackwardWeight(s, x, 2, dy, 0, dw, 0, db, 0);
        TestData.AssertClose(dwRef, dw, 1e-4f * MathF.Sqrt(batch * s.OutH * s.OutW), 1e-4f, "conv backward-weight");
        int ohw = s.OutH * s.OutW;
        var dbRef = Enumerable.Range(0, cout).Select(c =>
            (float)Enumerable.Range(0, batch).Sum(n => Enumerable.Range(0, ohw).Sum(i => (double)dy[(n * cout + c) * ohw + i]))).ToArray();
        TestData.AssertClose(dbRef, db, 1e-4f, 1e-4f, "conv bias grad");
    }

    public static IEnumerable<object[]> TransposeShapes() =>
    [
        // batch, cin, h, w, cout, kh, kw, stride, pad, outPad, dilation, groups
        [2, 3, 5, 6, 4, 3, 3, 2, 1, 1, 1, 1],
        [1, 4, 4, 4, 6, 4, 4, 2, 1, 0, 1, 2],
        [1, 6, 3, 5, 3, 2, 2, 2, 0, 0, 1, 3],
        [2, 4, 6, 5, 5, 3, 3, 1, 1, 0, 2, 1],
        [1, 5, 4, 4, 3, 1, 1, 1, 0, 0, 1, 1],   // pointwise: no col2im
        [1, 2, 7, 7, 2, 5, 5, 3, 2, 2, 1, 1],
    ];

    [Theory]
    [MemberData(nameof(TransposeShapes))]
    public void ConvTranspose2dMatchesDirect(int batch, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad, int outPad, int dil, int groups)
    {
        var s = new ConvTranspose2dShape(batch, cin, h, w, cout, kh, kw, stride, stride, pad, pad, outPad, outPad, dil, dil, groups);
        var x = TestData.Random((int)s.InputSize, 1);
        var wt = TestData.Random((int)s.WeightSize, 2);
        var bias = TestData.Random(cout, 3);
        var dy = TestData.Random((int)s.OutputSize, 4);

        var yRef = new float[s.OutputSize];
        ConvReference.ConvTranspose2dForward(s, x, wt, bias, yRef);
        var y = Enumerable.Repeat(float.NaN, (int)s.OutputSize).ToArray();
        ConvTranspose2dKernels.Forward(s, x, 0, wt, 0, bias, 0, y, 0);
        TestData.AssertClose(yRef, y, 1e-4f, 1e-4f, "convT forward");

        var dxRef = new float[s.InputSize];
        ConvReference.ConvTranspose2dBackwardData(s, dy, wt, dxRef);
        var dx = Enumerable.Repeat(float.NaN, (int)s.InputSize).ToArray();
        ConvTranspose2dKernels.BackwardData(s, dy, 0, wt, 0, dx, 0);
        TestData.AssertClose(dxRef, dx, 1e-4f, 1e-4f, "convT backward-data");

        var dwRef = new float[s.WeightSize];
        ConvReference.ConvTranspose2dBackwardWeight(s, x, dy, dwRef);
        var dw = Enumerable.Repeat(float.NaN, (int)s.WeightSize).ToArray();
        ConvTranspose2dKernels.BackwardWeight(s, x, 0, dy, 0, dw, 0, null, 0);
        TestData.AssertClose(dwRef, dw, 1e-3f, 1e-4f, "convT backward-weight");
    }

    [Fact]
    public void Im2ColBackwardIsAdjointOfForward()
    {
        // <im2col(x), c> == <x, col2im(c)> for any x, c.
        var g = new ConvGeometry(3, 7, 8, 3, 2, 2, 1, 1, 2, 2, 1);
        var x = TestData.Random(3 * 7 * 8, 1);
        var c = TestData.Random(g.ColRows * g.ColCols, 2);
        var col = new float[c.Length];
        Im2Col.Forward(g, x, 0, col, 0);
        var back = new float[x.Length];
        Im2Col.Backward(g, c, 0, back, 0);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < c.Length; i++) lhs += (double)col[i] * c[i];
        for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * back[i];
        Assert.Equal(lhs, rhs, 4);
    }

    [Fact]
    public void RejectsBadShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Conv2dKernels.Forward(new Conv2dShape(1, 3, 4, 4, 4, 3, 3, Groups: 2),
            new float[48], 0, new float[100], 0, null, 0, new float[100], 0));
        Assert.Contains("groups", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Conv2dKernels.Forward(new Conv2dShape(1, 3, 4, 4, 4, 3, 3),
            new float[47], 0, new float[108], 0, null, 0, new float[16], 0));
        Assert.Contains("input needs 48", ex.Message);
    }
}
