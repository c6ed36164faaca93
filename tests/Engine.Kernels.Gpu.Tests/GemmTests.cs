using Engine.Kernels.Gpu;
using Xunit;

namespace Engine.Kernels.Gpu.Tests;

[Collection(SimulatorCollection.Name)]
public sealed class GemmTests(SimulatorFixture fx)
{
    private readonly GpuDevice _dev = fx.Device;

    internal static float[] Reference(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc, int batch, int sa, int sb, int sc)
    {
        var r = (float[])c.Clone();
        for (int q = 0; q < batch; q++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int x = 0; x < k; x++)
                        acc += (double)(ta ? a[q * sa + x * lda + i] : a[q * sa + i * lda + x]) * (tb ? b[q * sb + j * ldb + x] : b[q * sb + x * ldb + j]);
                    int ci = q * sc + i * ldc + j;
                    r[ci] = (float)(alpha * acc + (beta == 0 ? 0 : beta * c[ci]));
                }
        return r;
    }

    [Theory]
    [InlineData(false, false, 66, 65, 17, 1f, 0f)]
    [InlineData(true, false, 17, 9, 40, 0.5f, 1f)]
    [InlineData(false, true, 5, 66, 18, 1f, -0.5f)]
    [InlineData(true, true, 64, 64, 16, 2f, 0f)]
    public void TiledMatchesReference(bool ta, bool tb, int m, int n, int k, float alpha, float beta)
    {
        const int batch = 2;
        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
        int sa = (ta ? k : m) * lda + 5, sb = (tb ? n : k) * ldb, sc = m * ldc + 7;
        var a = TestUtil.Random(sa * batch, 1); var b = TestUtil.Random(sb * batch, 2); var c = TestUtil.Random(sc * batch, 3);
        var expected = Reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, batch, sa, sb, sc);
        using var da = _dev.Upload<float>(a); using var db = _dev.Upload<float>(b);
        using var dc = _dev.Upload<float>(c); using var dn = _dev.Upload<float>(c);
        Gemm.SgemmBatched(_dev, ta, tb, m, n, k, alpha, da.View, 0, lda, db.View, 0, ldb, beta, dc.View, 0, ldc, GemmBatch.Strided(batch, sa, sb, sc));
        Gemm.SgemmNaive(_dev, ta, tb, m, n, k, alpha, da.View, 0, lda, db.View, 0, ldb, beta, dn.View, 0, ldc, GemmBatch.Strided(batch, sa, sb, sc));
        TestUtil.Close(expected, _dev.Download(dc.View), 1e-4f, 1e-4f, "tiled");
        TestUtil.Close(expected, _dev.Download(dn.View), 1e-4f, 1e-4f, "naive");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void LargeTileKernelMatchesReference(bool ta, bool tb)
    {
        int m = 130, n = 131, k = 19, lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
        var a = TestUtil.Random(m * k, 7); var b = TestUtil.Random(k * n, 8); var c = TestUtil.Random(m * n, 9);
        var expected = Reference(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 0.25f, c, ldc, 1, 0, 0, 0);
        using var da = _dev.Upload<float>(a); using var db = _dev.Upload<float>(b); using var dc = _dev.Upload<float>(c);
        var p = Gemm.Prepare(ta, tb, m, n, k, 1.5f, da.View, 0, lda, db.View, 0, ldb, 0.25f, dc.View, 0, ldc, GemmBatch.Single);
        Gemm.LaunchFp32(_dev, p, da.View, db.View, dc.View, 1, large: true);
        TestUtil.Close(expected, _dev.Download(dc.View), 1e-4f, 1e-4f, "large tile");
    }

    [Fact]
    public void OutOfRangeViewIsRejectedOnTheHost()
    {
        using var a = _dev.Rent<float>(10); using var b = _dev.Rent<float>(10); using var c = _dev.Rent<float>(10);
        var e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(_dev, false, false, 4, 4, 4, 1f, a.View, 0, 4, b.View, 0, 4, 0f, c.View, 0, 4));
        Assert.Contains("'A'", e.Message);
    }
}

[Collection(SimulatorCollection.Name)]
public sealed class GemmTensorCoreTests(SimulatorFixture fx)
{
    private readonly GpuDevice _dev = fx.Device;

    [Theory]
    [InlineData(false, false, 40, 70, 20)]
    [InlineData(true, true, 33, 20, 8)]
    public void Tf32PathMatchesReferenceWithinTf32Rounding(bool ta, bool tb, int m, int n, int k)
    {
        int lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
        var a = TestUtil.Random(m * k, 4); var b = TestUtil.Random(n * k, 5); var c = TestUtil.Random(m * n, 6);
        var expected = GemmTests.Reference(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0.5f, c, ldc, 1, 0, 0, 0);
        using var da = _dev.Upload<float>(a); using var db = _dev.Upload<float>(b); using var dc = _dev.Upload<float>(c);
        Gemm.Sgemm(_dev, ta, tb, m, n, k, 1f, da.View, 0, lda, db.View, 0, ldb, 0.5f, dc.View, 0, ldc, GemmPrecision.Tf32TensorCore);
        // TF32 keeps 10 mantissa bits: each product is off by <= 2^-10 relative, |a|,|b| <= 1.
        TestUtil.Close(expected, _dev.Download(dc.View), k * 2e-3f, 0f, "tf32");
    }

    [Fact]
    public void Tf32RoundingIsRoundToNearest()
    {
        Assert.Equal(1f, GemmTensorCore.RoundTf32(1f + 1f / 4096));
        Assert.Equal(1f + 1f / 1024, GemmTensorCore.RoundTf32(1f + 1f / 1024 + 1f / 4096));
        Assert.Equal(1f + 1f / 1024, GemmTensorCore.RoundTf32(1f + 1f / 2048)); // tie goes away from zero
    }
}
