namespace Engine.Kernels.Cpu;

/// <summary>Naive scaled-dot-product attention in double precision, materialising the full score matrix: the
/// reference <see cref="FlashAttention"/> is tested against. Same layouts and conventions (row-major
/// [BH, T, D] operands, top-left causal alignment, fully masked rows give zero output and lse = -inf).</summary>
public static class AttentionReference
{
    public static void Forward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
        float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, AttentionMask? mask,
        float[] output, int outOff, float[]? logSumExp, int lseOff)
    {
        for (int bh = 0; bh < batchHeads; bh++)
        for (int i = 0; i < tq; i++)
        {
            var p = Probabilities(bh, heads, i, tq, tk, d, scale, causal, q, qOff, k, kOff, mask, out double lse);
            if (logSumExp != null) logSumExp[lseOff + bh * tq + i] = (float)lse;
            for (int c = 0; c < d; c++)
            {
                double acc = 0;
                for (int j = 0; j < tk; j++) acc += p[j] * v[vOff + ((long)bh * tk + j) * d + c];
                output[outOff + ((long)bh * tq + i) * d + c] = (float)acc;
            }
        }
    }

    /// <summary>Gradients of sum(dOutput * Attention(q, k, v)); overwrites dQ, dK, dV.</summary>
    public static void Backward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
        float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, AttentionMask? mask,
        float[] dOutput, int dOutOff, float[] dQ, int dQOff, float[] dK, int dKOff, float[] dV, int dVOff)
    {
        for (int bh = 0; bh < batchHeads; bh++)
        {
            var gq = new double[tq * d];
            var gk = new double[tk * d];
            var gv = new double[tk * d];
            for (int i = 0; i < tq; i++)
            {
                var p = Probabilities(bh, heads, i, tq, tk, d, scale, causal, q, qOff, k, kOff, mask, out _);
                var dp = new double[tk];
                for (int j = 0; j < tk; j++)
                for (int c = 0; c < d; c++)
                {
                    double go = dOutput[dOutOff + ((long)bh * tq + i) * d + c];
                    gv[j * d + c] += p[j] * go;
                    dp[j] += go * v[vOff + ((long)bh * tk + j) * d + c];
                }
                double dot = 0;
                for (int j = 0; j < tk; j++) dot += p[j] * dp[j];
                for (int j = 0; j < tk; j++)
                {
                    double ds = p[j] * (dp[j] - dot) * scale;
                    for (int c = 0; c < d; c++)
                    {
                        gq[i * d + c] += ds * k[kOff + ((long)bh * tk + j) * d + c];
                        gk[j * d + c] += ds * q[qOff + ((long)bh * tq + i) * d + c];
                    }
                }
            }
            for (int x = 0; x < tq * d; x++) dQ[dQOff + (long)bh * tq * d + x] = (float)gq[x];
            for (int x = 0; x < tk * d; x++)
            {
                dK[dKOff + (long)bh * tk * d + x] = (float)gk[x];
                dV[dVOff + (long)bh * tk * d + x] = (float)gv[x];
            }
        }
    }

    private static double[] Probabilities(int bh, int heads, int i, int tq, int tk, int d, float scale, bool causal,
        float[] q, int qOff, float[] k, int kOff, AttentionMask? mask, out double lse)
    {
        var s = new double[tk];
        double max = double.NegativeInfinity;
        for (int j = 0; j < tk; j++)
        {
            double dot = 0;
            for (int c = 0; c < d; c++)
                dot += (double)q[qOff + ((long)bh * tq + i) * d + c] * k[kOff + ((long)bh * tk + j) * d + c];
            s[j] = dot * scale;
            if (mask is { } m) s[j] += m.Values[m.RowStart(bh, heads, i) + j];
            if (causal && j > i) s[j] = double.NegativeInfinity;
            max = Math.Max(max, s[j]);
        }
        if (double.IsNegativeInfinity(max))
        {
            lse = double.NegativeInfinity;
            return new double[tk];
        }
        double sum = 0;
        for (int j = 0; j < tk; j++) sum += s[j] = Math.Exp(s[j] - max);
        for (int j = 0; j < tk; j++) s[j] /= sum;
        lse = max + Math.Log(sum);
        return s;
    }
}
