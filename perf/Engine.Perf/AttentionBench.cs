using Engine.Kernels.Cpu;

namespace Engine.Perf;

/// <summary>Fused attention over `heads` heads of `tokens` queries and keys with head dimension `dim` (a ViT-B/16
/// layer at 352 px is 12 x 485 x 64). Forward FLOPs are 4*H*T^2*D (QK^T and PV); backward is counted as executed,
/// 10*H*T^2*D (score recompute, dV, dP, dK, dQ). Also times the forward in the models' layout (q/k/v read in place from
/// one fused projection, no log-sum-exp) and the two batched GEMMs an unfused attention would run.</summary>
public static class AttentionBench
{
    public static BenchResult Run(int heads, int tokens, int dim, int threads, int batch = 1, bool causal = false)
    {
        int bh = batch * heads;
        var q = GemmBench.Random(bh * tokens * dim, 1);
        var k = GemmBench.Random(bh * tokens * dim, 2);
        var v = GemmBench.Random(bh * tokens * dim, 3);
        var o = new float[bh * tokens * dim];
        var lse = new float[bh * tokens];
        var dO = GemmBench.Random(bh * tokens * dim, 4);
        var (dq, dk, dv) = (new float[q.Length], new float[k.Length], new float[v.Length]);
        float scale = 1f / MathF.Sqrt(dim);
        double tt = (double)bh * tokens * tokens * dim;

        var (fwdMs, peak) = GemmBench.WithThreads(threads, () => BenchTiming.BestAgainstPeak(() =>
            FlashAttention.Forward(bh, heads, tokens, tokens, dim, scale, causal, q, 0, k, 0, v, 0, null, o, 0, lse, 0), threads));
        var (bwdMs, peak2) = GemmBench.WithThreads(threads, () => BenchTiming.BestAgainstPeak(() =>
            FlashAttention.Backward(bh, heads, tokens, tokens, dim, scale, causal, q, 0, k, 0, v, 0, null, o, 0, lse, 0, dO, 0, dq, 0, dk, 0, dv, 0), threads));
        peak = Math.Max(peak, peak2);
        double causalShare = causal ? 0.5 : 1.0;
        var result = new BenchResult("attention", $"{bh}x T{tokens} D{dim}" + (causal ? " causal" : ""), threads, fwdMs,
            4 * tt * causalShare / (fwdMs * 1e6), peak);
        double bwdGflops = 10 * tt * causalShare / (bwdMs * 1e6);
        result.Extra.Add(("backward_ms", bwdMs));
        result.Extra.Add(("backward_gflops", bwdGflops));
        result.Extra.Add(("backward_ratio", bwdGflops / peak));

        // The forward as the models call it at inference: q, k and v read in place from one fused projection
        // [B, T, 3, H, D], the output written as [B, T, H, D], no log-sum-exp.
        var qkv = GemmBench.Random(bh * tokens * dim * 3, 5);
        var fusedOut = new float[bh * tokens * dim];
        var inLayout = new AttentionLayout((long)tokens * 3 * heads * dim, dim, 3 * heads * dim);
        var outLayout = new AttentionLayout((long)tokens * heads * dim, dim, heads * dim);
        var (fusedMs, _) = GemmBench.WithThreads(threads, () => BenchTiming.BestAgainstPeak(() =>
            FlashAttention.Forward(bh, heads, tokens, tokens, dim, scale, causal, qkv, 0, inLayout, qkv, heads * dim, inLayout, qkv, 2 * heads * dim, inLayout,
                null, fusedOut, 0, outLayout, null, 0), threads));
        result.Extra.Add(("fused_layout_ms", fusedMs));
        result.Extra.Add(("fused_layout_ratio", 4 * tt * causalShare / (fusedMs * 1e6) / peak));

        // The unfused alternative: scores = Q K^T (batched, B transposed) and output = P V.
        var scores = new float[(long)bh * tokens * tokens];
        var (qkMs, _) = GemmBench.WithThreads(threads, () => BenchTiming.BestAgainstPeak(() =>
            Gemm.SgemmBatched(false, true, tokens, tokens, dim, 1f, q, 0, dim, k, 0, dim, 0f, scores, 0, tokens, bh,
                (long)tokens * dim, (long)tokens * dim, (long)tokens * tokens), threads, budgetSeconds: 1));
        var (pvMs, _) = GemmBench.WithThreads(threads, () => BenchTiming.BestAgainstPeak(() =>
            Gemm.SgemmBatched(false, false, tokens, dim, tokens, 1f, scores, 0, tokens, v, 0, dim, 0f, o, 0, dim, bh,
                (long)tokens * tokens, (long)tokens * dim, (long)tokens * dim), threads, budgetSeconds: 1));
        result.Extra.Add(("gemm_qk_ratio", 2 * tt / (qkMs * 1e6) / peak));
        result.Extra.Add(("gemm_pv_ratio", 2 * tt / (pvMs * 1e6) / peak));
        return result;
    }
}
