using Engine.Kernels.Cpu;
using Xunit;

namespace Engine.Kernels.Tests;

/// <summary>The persistent kernel workers: every item exactly once, nesting and concurrent callers run inline,
/// exceptions surface, and sleeping workers wake for the next region. Serialised with the other tests that change
/// process-wide kernel settings.</summary>
[Collection("KernelChoice")]
public class KernelThreadingTests
{
    [Fact]
    public void EveryItemRunsExactlyOnce()
    {
        TestData.WithThreads(3, () =>
        {
            for (int round = 0; round < 200; round++)
            {
                int count = 1 + round % 37;
                var hits = new int[count];
                KernelThreading.For(count, i => Interlocked.Increment(ref hits[i]));
                Assert.All(hits, h => Assert.Equal(1, h));
            }
        });
    }

    [Fact]
    public void UsesMoreThanOneThreadAndWakesAfterIdling()
    {
        TestData.WithThreads(2, () =>
        {
            for (int round = 0; round < 3; round++)
            {
                var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
                // Items long enough that the caller cannot take them all before the worker starts.
                KernelThreading.For(8, _ => { threads[Environment.CurrentManagedThreadId] = true; Thread.Sleep(5); });
                Assert.True(threads.Count >= 2, $"round {round}: all items ran on one thread");
                Thread.Sleep(30); // longer than the workers' spin: they block and must be woken next round
            }
        });
    }

    [Fact]
    public void NestedRegionsRunInline()
    {
        TestData.WithThreads(3, () =>
        {
            var sums = new long[6];
            KernelThreading.For(6, i => KernelThreading.For(100, j => Interlocked.Add(ref sums[i], j)));
            Assert.All(sums, s => Assert.Equal(4950, s));
        });
    }

    [Fact]
    public void ExceptionsSurfaceAndThePoolKeepsWorking()
    {
        TestData.WithThreads(3, () =>
        {
            var e = Assert.Throws<InvalidOperationException>(() =>
                KernelThreading.For(20, i => { if (i == 13) throw new InvalidOperationException("item 13"); }));
            Assert.Equal("item 13", e.Message);
            int n = 0;
            KernelThreading.For(20, _ => Interlocked.Increment(ref n));
            Assert.Equal(20, n);
        });
    }

    [Fact]
    public void ConcurrentCallersAllComplete()
    {
        TestData.WithThreads(2, () =>
        {
            var totals = new long[8];
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
            {
                for (int r = 0; r < 50; r++)
                    KernelThreading.For(16, i => Interlocked.Add(ref totals[t], i + 1));
            });
            Assert.All(totals, s => Assert.Equal(50L * 136, s));
        });
    }

    [Fact]
    public void GemmIsUnchangedAcrossThreadCounts()
    {
        int m = 150, n = 260, k = 300;
        var a = TestData.Random(m * k, 1);
        var b = TestData.Random(k * n, 2);
        var reference = new float[m * n];
        GemmReference.Sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, reference, 0, n);
        foreach (int threads in new[] { 1, 2, 3, 5 })
            TestData.WithThreads(threads, () =>
            {
                var c = new float[m * n];
                Gemm.Sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
                TestData.AssertClose(reference, c, 1e-3f, 1e-4f, $"{threads} threads");
            });
    }
}
