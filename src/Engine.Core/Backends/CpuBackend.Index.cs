using System.Numerics.Tensors;

namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public void IndexSelect(Storage x, long xOffset, int outer, int n, int inner, ReadOnlySpan<int> index, Storage y, long yOffset)
    {
        var xa = F(x); var ya = F(y);
        var idx = index.ToArray();
        int m = idx.Length;
        CpuParallel.For((long)outer * m, inner, (s, e) =>
        {
            for (long t = s; t < e; t++)
            {
                long o = t / m; int j = (int)(t % m);
                Array.Copy(xa, xOffset + (o * n + idx[j]) * inner, ya, yOffset + t * inner, inner);
            }
        });
    }

    public void IndexAdd(Storage g, long gOffset, int outer, int n, int inner, ReadOnlySpan<int> index, Storage gx, long gxOffset)
    {
        var ga = F(g); var oa = F(gx);
        var idx = index.ToArray();
        int m = idx.Length;
        // Repeated ids add into the same row, so split the work over `outer` only (rows of one outer never race)...
        // but with outer == 1 (embeddings) that is serial; there, split over the inner (feature) axis instead.
        int chunk = Math.Max(64, (inner + CpuParallel.Workers - 1) / CpuParallel.Workers);
        int nChunks = (inner + chunk - 1) / chunk;
        CpuParallel.For((long)outer * nChunks, (long)m * chunk, (s, e) =>
        {
            for (long t = s; t < e; t++)
            {
                long o = t / nChunks; int c0 = (int)(t % nChunks) * chunk; int len = Math.Min(chunk, inner - c0);
                for (int j = 0; j < m; j++)
                {
                    var dst = new Span<float>(oa, (int)(gxOffset + (o * n + idx[j]) * inner + c0), len);
                    TensorPrimitives.Add(dst, new ReadOnlySpan<float>(ga, (int)(gOffset + (o * m + j) * inner + c0), len), dst);
                }
            }
        });
    }

    public void Gather(Storage x, long xOffset, int outer, int n, int inner, ReadOnlySpan<int> index, int m, Storage y, long yOffset)
    {
        var xa = F(x); var ya = F(y);
        var idx = index.ToArray();
        CpuParallel.For(outer, (long)m * inner, (s, e) =>
        {
            for (long o = s; o < e; o++)
                for (int j = 0; j < m; j++)
                    for (int i = 0; i < inner; i++)
                    {
                        long t = (o * m + j) * inner + i;
                        ya[yOffset + t] = xa[xOffset + (o * n + idx[t]) * inner + i];
                    }
        });
    }

    public void ScatterAdd(Storage g, long gOffset, int outer, int n, int inner, ReadOnlySpan<int> index, int m, Storage gx, long gxOffset)
    {
        var ga = F(g); var oa = F(gx);
        var idx = index.ToArray();
        CpuParallel.For(outer, (long)m * inner, (s, e) =>
        {
            for (long o = s; o < e; o++)
                for (int j = 0; j < m; j++)
                    for (int i = 0; i < inner; i++)
                    {
                        long t = (o * m + j) * inner + i;
                        oa[gxOffset + (o * n + idx[t]) * inner + i] += ga[gOffset + t];
                    }
        });
    }
}
