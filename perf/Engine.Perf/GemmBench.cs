using Engine.Kernels.Cpu;

namespace Engine.Perf;

/// <summary>C[M x N] = A[M x K] * op(B): times <see cref="Gemm.Sgemm"/> and reports GFLOPS (2*M*N*K per call).</summary>
public static class GemmBench
{
    /// <param name="prepacked">B packed once up front (<see cref="PackedMatrixB"/>, as an inference Linear weight is) and
    /// read in place by every call; only with batch 1.</param>
    public static BenchResult Run(int m, int k, int n, int threads, bool transB = false, int batch = 1, bool prepacked = false)
    {
        if (prepacked && batch != 1) throw new ArgumentException("A prepacked B is timed with batch 1 only.");
        var a = Random(batch * m * k, 1);
        var b = Random(batch * k * n, 2);
        var c = new float[batch * m * n];
        int ldb = transB ? k : n;
        using var packed = prepacked ? WithThreads(threads, () => PackedMatrixB.Create(transB, b, 0, ldb, k, n)) : null;
        var (ms, peak) = WithThreads(threads, () => BenchTiming.BestAgainstPeak(() =>
        {
            if (packed is not null) Gemm.SgemmPackedB(m, n, k, 1f, a, 0, k, packed, 0f, c, 0, n);
            else Gemm.SgemmBatched(false, transB, m, n, k, 1f, a, 0, k, b, 0, ldb, 0f, c, 0, n, batch, (long)m * k, (long)k * n, (long)m * n);
        }, threads));
        double gflops = 2.0 * batch * m * n * k / (ms * 1e6);
        string shape = (batch > 1 ? $"{batch}x" : "") + $"M{m} K{k} N{n}" + (transB ? " B^T" : "") + (prepacked ? " prepacked" : "");
        return new BenchResult("gemm", shape, threads, ms, gflops, peak);
    }

    internal static float[] Random(int length, int seed)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>Runs `body` with <see cref="KernelThreading.MaxThreads"/> set to `threads`, restoring it after.</summary>
    internal static T WithThreads<T>(int threads, Func<T> body)
    {
        int saved = KernelThreading.MaxThreads;
        KernelThreading.MaxThreads = threads;
        try { return body(); }
        finally { KernelThreading.MaxThreads = saved; }
    }
}
