using System.Runtime.Intrinsics;
using Engine.Kernels.Cpu;
using Xunit;

namespace Engine.Kernels.Tests;

/// <summary>Fast GEMM vs the naive double-accumulating reference, for every transpose combination and micro-kernel.
/// Not parallelised with other kernel-choice tests: the forced kernel is a process-wide switch.</summary>
[Collection("KernelChoice")]
public class GemmTests
{
    public static IEnumerable<object[]> Shapes()
    {
        int[][] sizes = [[1, 1, 1], [7, 5, 3], [6, 16, 8], [13, 33, 17], [37, 70, 300], [65, 129, 47], [150, 40, 513]];
        foreach (var s in sizes)
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
            yield return [s[0], s[1], s[2], ta, tb];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesReference_Vector256(int m, int n, int k, bool ta, bool tb) => Check(Gemm.KernelChoice.Vector256, m, n, k, ta, tb);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesReference_Vector512(int m, int n, int k, bool ta, bool tb) => Check(Gemm.KernelChoice.Vector512, m, n, k, ta, tb);

    private static void Check(Gemm.KernelChoice kernel, int m, int n, int k, bool ta, bool tb)
    {
        // Leading dimensions larger than the rows and non-zero offsets catch indexing mistakes.
        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
        int aOff = 4, bOff = 1, cOff = 7;
        var a = TestData.Random(aOff + (ta ? k : m) * lda, 1);
        var b = TestData.Random(bOff + (tb ? n : k) * ldb, 2);
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f), (-1.5f, 0.25f) })
        {
            var c0 = TestData.Random(cOff + m * ldc, 3);
            var expected = (float[])c0.Clone();
            var actual = (float[])c0.Clone();
            GemmReference.Sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, expected, cOff, ldc);
            var saved = Gemm.ForcedKernel;
            Gemm.ForcedKernel = kernel;
            try { Gemm.Sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, actual, cOff, ldc); }
            finally { Gemm.ForcedKernel = saved; }
            TestData.AssertClose(expected, actual, 1e-4f * MathF.Sqrt(k), 1e-4f, $"{kernel} m={m} n={n} k={k} ta={ta} tb={tb} alpha={alpha} beta={beta}");
        }
    }

    /// <summary>The shared-A driver reading A in place (<see cref="GemmTuning.DirectA"/>) gives exactly the bits of the
    /// packed-A form with either micro-kernel, and both match the reference: partial and balanced row tiles, a ragged last column
    /// panel, several K blocks (B packed on the fly), prepacked weights, alpha/beta and a Linear-style epilogue.</summary>
    [Theory]
    [InlineData(197, 300, 768, false)]
    [InlineData(13, 512, 768, false)]
    [InlineData(5, 512, 1000, true)]
    [InlineData(485, 320, 1000, false)]
    [InlineData(100, 333, 768, true)]
    public unsafe void DirectAEqualsPackedA(int m, int n, int k, bool prepacked)
    {
        int lda = k + 3;
        var a = TestData.Random(m * lda, 21);
        var b = TestData.Random(n * k, 22); // B^T: n x k, as a Linear weight
        var expected = new float[m * n];
        GemmReference.Sgemm(false, true, m, n, k, 1f, a, 0, lda, b, 0, k, 0f, expected, 0, n);
        var expectedBias = (float[])expected.Clone();
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) expectedBias[i * n + j] = 2 * expected[i * n + j] + MarkingEpilogue.Code(i, j);

        float[] Run(Gemm.KernelChoice kernel, bool direct, bool epilogue)
        {
            var c = new float[m * n];
            var savedKernel = Gemm.ForcedKernel; bool savedDirect = GemmTuning.DirectA;
            Gemm.ForcedKernel = kernel; GemmTuning.DirectA = direct;
            try
            {
                using var packed = PackedMatrixB.Create(true, b, 0, k, k, n); // packed for the forced kernel
                TestData.WithThreads(2, () =>
                {
                    var visits = new float[m * n]; var hinted = new float[m * n]; var before = new float[m * n]; var inRegisters = new float[m * n];
                    fixed (float* pv = visits, ph = hinted, pb = before, pr = inRegisters)
                    {
                        if (epilogue)
                            Gemm.SgemmPackedB(m, n, k, 1f, a, 0, lda, packed, 0f, c, 0, n, new MarkingEpilogue(pv, ph, pb, pr, n, allowRegisters: true));
                        else if (prepacked)
                            Gemm.SgemmPackedB(m, n, k, 1f, a, 0, lda, packed, 0f, c, 0, n);
                        else
                            Gemm.Sgemm(false, true, m, n, k, 1f, a, 0, lda, b, 0, k, 0f, c, 0, n);
                    }
                    if (epilogue) Assert.All(visits, v => Assert.Equal(1f, v));
                });
            }
            finally { Gemm.ForcedKernel = savedKernel; GemmTuning.DirectA = savedDirect; }
            return c;
        }

        foreach (var kernel in new[] { Gemm.KernelChoice.Vector256, Gemm.KernelChoice.Vector512 })
        foreach (bool epilogue in new[] { false, true })
        {
            var direct = Run(kernel, true, epilogue);
            var viaPacking = Run(kernel, false, epilogue);
            Assert.Equal(viaPacking, direct);
            TestData.AssertClose(epilogue ? expectedBias : expected, direct, 1e-4f * MathF.Sqrt(k), 1e-4f, $"{kernel} direct A m={m} n={n} k={k} epilogue={epilogue}");
        }
    }

    /// <summary>C sharing elements with A or B (an in-place product) is refused with a clear error on every entry point:
    /// the kernels read the inputs block by block while C's tiles are written (and the shared-A driver reads A in
    /// place). Disjoint parts of one array are fine.</summary>
    [Fact]
    public void ProductOverlappingItsInputIsRefused()
    {
        int m = 197, k = 320;
        var x = TestData.Random(2 * m * k, 31);
        var w = TestData.Random(k * k, 32);
        var e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, m, k, k, 1f, x, 0, k, w, 0, k, 0f, x, 0, k));
        Assert.Contains("overlaps A", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, m, k, k, 1f, x, 0, k, x, 0, k, 0f, x, m * k - 5, k));
        Assert.Contains("overlaps", e.Message);
        using var packed = PackedMatrixB.Create(true, w, 0, k, k, k);
        e = Assert.Throws<ArgumentException>(() => Gemm.SgemmPackedB(m, k, k, 1f, x, 0, k, packed, 0f, x, 100, k));
        Assert.Contains("overlaps A", e.Message);

        // The two halves of one array: A in the first, C in the second.
        var expected = new float[m * k];
        GemmReference.Sgemm(false, true, m, k, k, 1f, x, 0, k, w, 0, k, 0f, expected, 0, k);
        Gemm.Sgemm(false, true, m, k, k, 1f, x, 0, k, w, 0, k, 0f, x, m * k, k);
        TestData.AssertClose(expected, x.AsSpan(m * k), 1e-4f * MathF.Sqrt(k), 1e-4f, "disjoint halves");
    }

    [Fact]
    public void KernelChoiceFromEnvironment()
    {
        Assert.Equal(Gemm.KernelChoice.Auto, Gemm.KernelFromEnvironment(null));
        Assert.Equal(Gemm.KernelChoice.Auto, Gemm.KernelFromEnvironment(" "));
        Assert.Equal(Gemm.KernelChoice.Vector256, Gemm.KernelFromEnvironment("AVX2"));
        Assert.Equal(Gemm.KernelChoice.Vector512, Gemm.KernelFromEnvironment("avx512"));
        var e = Assert.Throws<ArgumentException>(() => Gemm.KernelFromEnvironment("sse"));
        Assert.Contains("ENGINE_CPU_KERNEL='sse'", e.Message);
    }

    [Fact]
    public void BetaZeroOverwritesNaN()
    {
        var a = TestData.Random(20 * 30, 1);
        var b = TestData.Random(30 * 40, 2);
        var c = Enumerable.Repeat(float.NaN, 20 * 40).ToArray();
        Gemm.Sgemm(false, false, 20, 40, 30, 1f, a, 0, 30, b, 0, 40, 0f, c, 0, 40);
        Assert.DoesNotContain(c, float.IsNaN);
        var c2 = Enumerable.Repeat(float.NaN, 20 * 40).ToArray();
        Gemm.Sgemm(false, false, 20, 40, 0, 1f, a, 0, 30, b, 0, 40, 0f, c2, 0, 40);
        Assert.All(c2, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void BatchedMatchesPerMatrixReference()
    {
        int batch = 5, m = 19, n = 23, k = 31;
        var a = TestData.Random(batch * m * k, 4);
        var b = TestData.Random(k * n, 5); // broadcast B: stride 0
        var c = new float[batch * m * n];
        var expected = new float[batch * m * n];
        Gemm.SgemmBatched(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n, batch, m * k, 0, m * n);
        for (int i = 0; i < batch; i++)
            GemmReference.Sgemm(false, false, m, n, k, 1f, a, i * m * k, k, b, 0, n, 0f, expected, i * m * n, n);
        TestData.AssertClose(expected, c, 1e-4f, 1e-4f, "batched");
    }

    [Fact]
    public void LargeMultiThreadedMatchesReference()
    {
        int m = 200, n = 300, k = 260;
        var a = TestData.Random(m * k, 6);
        var b = TestData.Random(k * n, 7);
        var c = new float[m * n];
        var expected = new float[m * n];
        Gemm.Sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n);
        GemmReference.Sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, expected, 0, n);
        TestData.AssertClose(expected, c, 1e-3f, 1e-4f, "large");
    }

    public static IEnumerable<object[]> ParallelShapes()
    {
        // Wide (dynamic column chunks over a shared packed A, several K blocks, ragged rows), narrow (static split).
        int[][] sizes = [[203, 300, 530], [37, 700, 100], [500, 40, 300]];
        foreach (var s in sizes)
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
            yield return [s[0], s[1], s[2], ta, tb];
    }

    /// <summary>The multi-threaded schedulers with more workers than this machine may have cores (3: an odd split).</summary>
    [Theory]
    [MemberData(nameof(ParallelShapes))]
    public void MultiThreadedMatchesReference(int m, int n, int k, bool ta, bool tb)
    {
        TestData.WithThreads(3, () => Check(Gemm.KernelChoice.Vector256, m, n, k, ta, tb));
    }

    /// <summary>B packed ahead of time (inference weights): several K blocks, ragged columns, single- and
    /// multi-threaded drivers, alpha/beta; a B of the wrong size is refused.</summary>
    [Theory]
    [InlineData(200, 300, 530, 2)]
    [InlineData(13, 512, 530, 2)]  // a prompt's rows: the 3rd row tile is ragged and prefetches the next panel
    [InlineData(37, 700, 100, 3)]
    [InlineData(500, 33, 300, 2)]
    [InlineData(19, 40, 17, 1)]
    [InlineData(45, 70, 1700, 2)]  // deeper than the prepacked K block: several blocks
    [InlineData(45, 70, 1700, 1)]
    public void PrepackedBMatchesReference(int m, int n, int k, int threads)
    {
        TestData.WithThreads(threads, () =>
        {
            int lda = k + 3, ldb = k + 1, ldc = n + 2;
            var a = TestData.Random(2 + m * lda, 1);
            var b = TestData.Random(5 + n * ldb, 2); // stored n x k (a Linear weight)
            using var packed = PackedMatrixB.Create(true, b, 5, ldb, k, n);
            foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f) })
            {
                var c0 = TestData.Random(3 + m * ldc, 3);
                var expected = (float[])c0.Clone(); var actual = (float[])c0.Clone();
                GemmReference.Sgemm(false, true, m, n, k, alpha, a, 2, lda, b, 5, ldb, beta, expected, 3, ldc);
                Gemm.SgemmPackedB(m, n, k, alpha, a, 2, lda, packed, beta, actual, 3, ldc);
                TestData.AssertClose(expected, actual, 1e-4f * MathF.Sqrt(k), 1e-4f, $"prepacked m={m} n={n} k={k} threads={threads} beta={beta}");
            }
            Assert.Throws<ArgumentException>(() => Gemm.SgemmPackedB(m, n + 1, k, 1f, a, 2, lda, packed, 0f, new float[m * (n + 1)], 0, n + 1));
        });
    }

    /// <summary>Doubles every element it is given and adds a position code (so an epilogue run before the last K block
    /// has been accumulated gives a wrong value), counts the visits (each must be exactly one), counts the
    /// elements that had been announced through <see cref="Prefetch"/> before their visit, and marks those visited in
    /// the micro-kernel's registers.</summary>
    private readonly unsafe struct MarkingEpilogue(float* visits, float* hinted, float* hintedBeforeVisit, float* inRegisters, int n, bool allowRegisters)
        : IGemmEpilogue
    {
        public void Apply(float* c, int ldc, int row0, int rows, int col0, int cols)
        {
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    c[(long)i * ldc + j] = Visit(c[(long)i * ldc + j], row0 + i, col0 + j);
        }

        public void Prefetch(int row0, int rows, int col0, int cols)
        {
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) hinted[(long)(row0 + i) * n + col0 + j] += 1;
        }

        public bool InRegisters => allowRegisters;

        public Vector256<float> Apply(Vector256<float> v, int row, int col)
        {
            Assert.True(allowRegisters, "the register form was used although InRegisters is false");
            var r = new float[8];
            for (int j = 0; j < 8; j++)
            {
                r[j] = Visit(v[j], row, col + j);
                inRegisters[(long)row * n + col + j] += 1;
            }
            return Vector256.Create(r);
        }

        public Vector512<float> Apply(Vector512<float> v, int row, int col)
        {
            Assert.True(allowRegisters, "the register form was used although InRegisters is false");
            var r = new float[16];
            for (int j = 0; j < 16; j++)
            {
                r[j] = Visit(v[j], row, col + j);
                inRegisters[(long)row * n + col + j] += 1;
            }
            return Vector512.Create(r);
        }

        /// <summary>The epilogue of one element (both forms): the new value, with the visit counted.</summary>
        private float Visit(float value, int row, int col)
        {
            long at = (long)row * n + col;
            visits[at] += 1;
            if (hinted[at] > 0) hintedBeforeVisit[at] += 1;
            return 2 * value + Code(row, col);
        }

        public static float Code(int row, int col) => row * 0.5f - col * 0.25f;
    }

    /// <summary>The epilogue sees every element of C exactly once, after the product is complete, at the right
    /// position: the multi-threaded column-chunk driver, the static row/column splits and the single-threaded path.
    /// The column-chunk driver also announces each tile once through Prefetch before applying the epilogue to it (the
    /// residual prefetch the ViT's out-projection relies on); the other paths need not. The column-chunk driver
    /// (either micro-kernel) applies it to the accumulators of every full-width tile (the ragged last columns get the
    /// stored-tile form) when the epilogue allows that, and never when it does not; the static splits always pass over
    /// the stored region (its rows stream contiguously; tried per tile in registers: no gain).</summary>
    [Theory]
    [InlineData(197, 768, 300, 2, true)]   // shared-A column chunks
    [InlineData(1100, 200, 450, 2, false)] // taller than the shared-A limit: static split
    [InlineData(300, 20, 100, 3, false)]   // too narrow for column chunks: static split
    [InlineData(30, 50, 40, 1, false)]     // single thread
    [InlineData(64, 64, 64, 2, false)]     // below the parallel threshold
    [InlineData(100, 96, 1600, 2, false)]  // several K blocks before the epilogue (static split)
    [InlineData(197, 300, 1600, 2, true)]  // several K blocks before the epilogue (shared-A column chunks)
    [InlineData(150, 70, 1600, 1, false)]  // several K blocks before the epilogue (single thread)
    public unsafe void EpilogueSeesEveryFinishedElementOnce(int m, int n, int k, int threads, bool prefetchHinted)
    {
        TestData.WithThreads(threads, () =>
        {
            var a = TestData.Random(m * k, 1);
            var b = TestData.Random(n * k, 2);
            using var packed = PackedMatrixB.Create(true, b, 0, k, k, n);
            var expected = new float[m * n];
            GemmReference.Sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, expected, 0, n);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) expected[i * n + j] = 2 * expected[i * n + j] + MarkingEpilogue.Code(i, j);
            foreach (bool allowRegisters in new[] { true, false })
            {
                var actual = new float[1 + m * n];
                var visits = new float[m * n];
                var hinted = new float[m * n];
                var hintedBeforeVisit = new float[m * n];
                var inRegisters = new float[m * n];
                fixed (float* pv = visits, ph = hinted, phv = hintedBeforeVisit, pr = inRegisters)
                    Gemm.SgemmPackedB(m, n, k, 1f, a, 0, k, packed, 0f, actual, 1, n, new MarkingEpilogue(pv, ph, phv, pr, n, allowRegisters));
                Assert.All(visits, v => Assert.Equal(1f, v));
                if (prefetchHinted)
                {
                    Assert.All(hinted, v => Assert.Equal(1f, v));
                    Assert.All(hintedBeforeVisit, v => Assert.Equal(1f, v));
                }
                int nr = Gemm.UseVector512 ? 32 : 16;
                if (allowRegisters && prefetchHinted)
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                            Assert.Equal(j < n / nr * nr ? 1f : 0f, inRegisters[(long)i * n + j]);
                else Assert.All(inRegisters, v => Assert.Equal(0f, v));
                TestData.AssertClose(expected, actual.AsSpan(1), 1e-4f * MathF.Sqrt(k), 1e-4f,
                    $"epilogue m={m} n={n} k={k} threads={threads} registers allowed={allowRegisters}");
            }
        });
    }

    /// <summary>The transposing copy attention uses for its outputs: every element, ragged edges on both sides of the
    /// 8 x 8 register blocks, with and without a per-column scale, strided source and destination.</summary>
    [Theory]
    [InlineData(64, 16)]
    [InlineData(64, 5)]
    [InlineData(3, 16)]
    [InlineData(20, 37)]
    [InlineData(1, 1)]
    public unsafe void TransposeMatchesNaive(int rows, int cols)
    {
        int lds = cols + 3, ldd = rows + 5;
        var src = TestData.Random(rows * lds, 11);
        var scale = TestData.Random(cols, 12);
        foreach (bool scaled in new[] { false, true })
        {
            var dst = new float[cols * ldd];
            Array.Fill(dst, -7f);
            fixed (float* ps = src, pd = dst, pf = scale)
                GemmPacking.Transpose(ps, lds, rows, cols, pd, ldd, scaled ? pf : null);
            for (int j = 0; j < cols; j++)
                for (int i = 0; i < ldd; i++)
                    Assert.Equal(i < rows ? src[i * lds + j] * (scaled ? scale[j] : 1f) : -7f, dst[j * ldd + i]);
        }
    }

    /// <summary>Row tiles cover the block's rows once, in order, MR rows each except an evened-out short remainder.</summary>
    [Theory]
    [InlineData(13, 6, 3, new[] { 5, 4, 4 })]
    [InlineData(7, 6, 3, new[] { 4, 3 })]
    [InlineData(14, 6, 3, new[] { 5, 5, 4 })]
    [InlineData(26, 6, 3, new[] { 6, 6, 5, 5, 4 })]
    [InlineData(15, 6, 3, new[] { 5, 5, 5 })]
    [InlineData(16, 6, 3, new[] { 6, 6, 4 })]    // a remainder of 4 (> MR / 2) stays
    [InlineData(485, 6, 3, null)]               // 80 x 6 + 5
    [InlineData(13, 6, 1, new[] { 6, 6, 1 })]   // no room to even out (the remainder starts a new row block)
    [InlineData(1, 6, 3, new[] { 1 })]
    [InlineData(17, 8, 3, new[] { 6, 6, 5 })]   // the AVX-512 kernel's 8-row tiles
    public void RowTilesCoverTheBlock(int m, int mr, int maxTail, int[]? expected)
    {
        var tiles = new GemmRowTiles(m, mr, maxTail);
        Assert.Equal((m + mr - 1) / mr, tiles.Count);
        var rows = Enumerable.Range(0, tiles.Count).Select(tiles.Rows).ToArray();
        int start = 0;
        for (int t = 0; t < tiles.Count; t++) { Assert.Equal(start, tiles.Start(t)); Assert.InRange(rows[t], 1, mr); start += rows[t]; }
        Assert.Equal(m, start);
        Assert.Equal(m, tiles.Start(tiles.Count)); // the end, as the drivers use it
        if (expected != null) Assert.Equal(expected, rows);
    }

    /// <summary>Evening out the remainder tile changes only which tile a row is computed in, never the summation order:
    /// results are bit-identical with and without it (prepacked, shared-A driver and the blocked single-thread path).</summary>
    [Theory]
    [InlineData(13, 512, 700, 2)]
    [InlineData(13, 512, 700, 1)]
    [InlineData(200, 300, 530, 2)]
    [InlineData(45, 70, 1700, 1)]
    public void BalancedRowTilesAreBitIdentical(int m, int n, int k, int threads)
    {
        TestData.WithThreads(threads, () =>
        {
            var a = TestData.Random(m * k, 1);
            var b = TestData.Random(n * k, 2);
            using var packed = PackedMatrixB.Create(true, b, 0, k, k, n);
            float[] Product(bool balanced)
            {
                bool saved = GemmTuning.BalancedRowTail;
                GemmTuning.BalancedRowTail = balanced;
                try
                {
                    var c = new float[m * n];
                    Gemm.SgemmPackedB(m, n, k, 1f, a, 0, k, packed, 0f, c, 0, n);
                    var c2 = new float[m * n];
                    Gemm.Sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c2, 0, n);
                    return c.Concat(c2).ToArray();
                }
                finally { GemmTuning.BalancedRowTail = saved; }
            }
            Assert.Equal(Product(false), Product(true));
        });
    }

    /// <summary>The shared-A driver's chunk claims cover every column panel once, in order, never above the chunk
    /// size, shrinking to single panels at the tail.</summary>
    [Theory]
    [InlineData(48, 5, 2)]
    [InlineData(192, 5, 2)]
    [InlineData(13, 4, 3)]
    [InlineData(1, 5, 2)]
    public void ChunkClaimsShrinkTowardsTheEndAndCoverEveryPanelOnce(int panels, int maxPanels, int workers)
    {
        var next = new int[1];
        var sizes = new List<int>();
        int expectedFirst = 0;
        while (GemmParallel<Kernel256x6x16>.ClaimPanels(next, panels, maxPanels, workers, out int first, out int count))
        {
            Assert.Equal(expectedFirst, first);
            Assert.InRange(count, 1, maxPanels);
            sizes.Add(count);
            expectedFirst += count;
        }
        Assert.Equal(panels, expectedFirst);
        Assert.Equal(1, sizes[^1]);
        for (int i = 1; i < sizes.Count; i++) Assert.True(sizes[i] <= sizes[i - 1], string.Join(",", sizes));
        if (panels >= 4 * workers * maxPanels) Assert.Equal(maxPanels, sizes[0]);
    }

    [Fact]
    public void RejectsTooSmallArrays()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 4, 4, 4, 1f, new float[15], 0, 4, new float[16], 0, 4, 0f, new float[16], 0, 4));
        Assert.Contains("A needs 16", ex.Message);
        Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 4, 4, 4, 1f, new float[16], 0, 3, new float[16], 0, 4, 0f, new float[16], 0, 4));
    }
}
