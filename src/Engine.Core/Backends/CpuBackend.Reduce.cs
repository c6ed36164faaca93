using System.Numerics.Tensors;

namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void ReduceSum(Storage x, long xOffset, int outer, int n, int inner, float scale, Storage y, long yOffset)
    {
        var xa = F(x); var ya = F(y);
        if (inner == 1)
        {
            CpuParallel.For(outer, n, (s, e) =>
            {
                for (long o = s; o < e; o++)
                    ya[yOffset + o] = scale * PairwiseSum(new ReadOnlySpan<float>(xa, (int)(xOffset + o * n), n));
            });
            return;
        }
        // Sum rows of length `inner`: parallel over (outer, inner-chunk) so a single large outer still splits.
        int chunk = Math.Max(256, inner / (CpuParallel.Workers * 2));
        int chunksPerOuter = (inner + chunk - 1) / chunk;
        CpuParallel.For((long)outer * chunksPerOuter, (long)n * chunk, (s, e) =>
        {
            for (long t = s; t < e; t++)
            {
                long o = t / chunksPerOuter; int c0 = (int)(t % chunksPerOuter) * chunk;
                int len = Math.Min(chunk, inner - c0);
                var acc = new Span<float>(ya, (int)(yOffset + o * inner + c0), len);
                acc.Clear();
                long baseX = xOffset + o * (long)n * inner + c0;
                for (int j = 0; j < n; j++)
                    TensorPrimitives.Add(acc, new ReadOnlySpan<float>(xa, (int)(baseX + (long)j * inner), len), acc);
                if (scale != 1f) TensorPrimitives.Multiply(acc, scale, acc);
            }
        });
    }

    /// <summary>Blocked pairwise summation: vectorised sums of 4096-element blocks combined pairwise, so long
    /// reductions (a loss over a whole image batch) keep float32 accuracy.</summary>
    internal static float PairwiseSum(ReadOnlySpan<float> x)
    {
        const int Block = 4096;
        if (x.Length <= Block) return TensorPrimitives.Sum(x);
        int half = (x.Length / 2 + Block - 1) / Block * Block;
        return PairwiseSum(x[..half]) + PairwiseSum(x[half..]);
    }

    public void ReduceMax(Storage x, long xOffset, int outer, int n, int inner, Storage values, long valuesOffset, Span<long> indices)
    {
        var xa = F(x); var va = F(values);
        // indices is a span (cannot enter the parallel lambda): write into a pooled buffer and copy out.
        var idx = new long[(long)outer * inner];
        CpuParallel.For((long)outer * inner, n, (s, e) =>
        {
            for (long t = s; t < e; t++)
            {
                long o = t / inner, i = t % inner;
                long b = xOffset + o * (long)n * inner + i;
                float best = xa[b]; long bi = 0;
                if (!float.IsNaN(best))
                    for (int j = 1; j < n; j++)
                    {
                        float v = xa[b + (long)j * inner];
                        if (v > best || float.IsNaN(v)) { best = v; bi = j; if (float.IsNaN(v)) break; }
                    }
                va[valuesOffset + t] = best; idx[t] = bi;
            }
        });
        idx.CopyTo(indices);
    }
}
