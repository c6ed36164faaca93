using Engine.Kernels.Cpu;
using Xunit;

namespace Engine.Kernels.Tests;

/// <summary>Fused attention forward (output, logsumexp) and backward (dQ, dK, dV) against the double-precision
/// naive reference, across block boundaries, masks and causal masking.</summary>
[Collection("KernelChoice")]
public class FlashAttentionTests
{
    public enum MaskKind { None, Padding, Full }

    [Theory]
    [InlineData(2, 3, 100, 200, 24, false, MaskKind.None)]
    [InlineData(1, 2, 150, 150, 32, true, MaskKind.None)]
    [InlineData(2, 2, 97, 130, 16, false, MaskKind.Padding)]
    [InlineData(2, 1, 200, 140, 8, true, MaskKind.Full)]
    [InlineData(1, 1, 5, 7, 3, false, MaskKind.Full)]
    [InlineData(1, 4, 1, 300, 64, false, MaskKind.Padding)]
    [InlineData(1, 2, 130, 250, 20, true, MaskKind.None)]
    [InlineData(1, 3, 485, 485, 64, false, MaskKind.None)]   // two ~246-key blocks: the online rescaling
    [InlineData(1, 2, 420, 620, 32, true, MaskKind.Padding)] // three key blocks, causal
    public void MatchesReference(int batch, int heads, int tq, int tk, int d, bool causal, MaskKind maskKind)
        => Check(batch, heads, tq, tk, d, causal, maskKind);

    /// <summary>The AVX-512 blocking (8 x 32 tiles, other block sizes), emulated where not accelerated.</summary>
    [Theory]
    [InlineData(2, 1, 100, 230, 24, true, MaskKind.Full)]
    [InlineData(1, 2, 70, 50, 16, false, MaskKind.Padding)]
    [InlineData(1, 1, 100, 230, 24, true, MaskKind.None)]
    public void MatchesReference_Vector512(int batch, int heads, int tq, int tk, int d, bool causal, MaskKind maskKind)
    {
        var saved = Gemm.ForcedKernel;
        Gemm.ForcedKernel = Gemm.KernelChoice.Vector512;
        try { Check(batch, heads, tq, tk, d, causal, maskKind); }
        finally { Gemm.ForcedKernel = saved; }
    }

    /// <summary>dQ gathers one contribution per key block; they are added in key-block order whatever thread finishes
    /// first, so 2 threads give exactly the bits 1 thread gives (a first-come lock here made training runs differ from
    /// run to run in the last bits). Several key blocks per head, causal and not; repeated, since an unordered add
    /// only shows when the threads' timing happens to reorder it.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Backward_gives_the_same_bits_on_one_and_two_threads(bool causal)
    {
        int heads = 4, t = 485, d = 16;
        var q = TestData.Random(heads * t * d, 11, 2f);
        var k = TestData.Random(heads * t * d, 12, 2f);
        var v = TestData.Random(heads * t * d, 13);
        var dOut = TestData.Random(heads * t * d, 14);
        float scale = 0.25f;
        (float[] dq, float[] dk, float[] dv) Run()
        {
            var output = new float[heads * t * d];
            var lse = new float[heads * t];
            FlashAttention.Forward(heads, heads, t, t, d, scale, causal, q, 0, k, 0, v, 0, null, output, 0, lse, 0);
            var (dq, dk, dv) = (new float[heads * t * d], new float[heads * t * d], new float[heads * t * d]);
            FlashAttention.Backward(heads, heads, t, t, d, scale, causal, q, 0, k, 0, v, 0, null, output, 0, lse, 0, dOut, 0, dq, 0, dk, 0, dv, 0);
            return (dq, dk, dv);
        }
        (float[] dq, float[] dk, float[] dv) serial = default;
        TestData.WithThreads(1, () => serial = Run());
        for (int rep = 0; rep < 8; rep++)
            TestData.WithThreads(2, () =>
            {
                var (dq, dk, dv) = Run();
                Assert.Equal(serial.dq, dq);
                Assert.Equal(serial.dk, dk);
                Assert.Equal(serial.dv, dv);
            });
    }

    private static void Check(int batch, int heads, int tq, int tk, int d, bool causal, MaskKind maskKind)
    {
        int bh = batch * heads;
        float scale = 1f / MathF.Sqrt(d);
        var q = TestData.Random(3 + bh * tq * d, 1, 2f);
        var k = TestData.Random(5 + bh * tk * d, 2, 2f);
        var v = TestData.Random(bh * tk * d, 3);
        var mask = MakeMask(maskKind, batch, tq, tk);

        var outRef = new float[bh * tq * d];
        var lseRef = new float[bh * tq];
        AttentionReference.Forward(bh, heads, tq, tk, d, scale, causal, q, 3, k, 5, v, 0, mask, outRef, 0, lseRef, 0);
        var output = new float[1 + bh * tq * d];
        var lse = new float[bh * tq];
        FlashAttention.Forward(bh, heads, tq, tk, d, scale, causal, q, 3, k, 5, v, 0, mask, output, 1, lse, 0);
        TestData.AssertClose(outRef, output.AsSpan(1), 2e-5f, 1e-4f, "output");
        TestData.AssertClose(lseRef, lse, 1e-5f, 1e-5f, "logsumexp");

        var dOut = TestData.Random(bh * tq * d, 4);
        var (dqRef, dkRef, dvRef) = (new float[bh * tq * d], new float[bh * tk * d], new float[bh * tk * d]);
        AttentionReference.Backward(bh, heads, tq, tk, d, scale, causal, q, 3, k, 5, v, 0, mask, dOut, 0, dqRef, 0, dkRef, 0, dvRef, 0);
        var dq = Enumerable.Repeat(float.NaN, bh * tq * d).ToArray(); // outputs are overwritten, not accumulated
        var dk = Enumerable.Repeat(float.NaN, bh * tk * d).ToArray();
        var dv = Enumerable.Repeat(float.NaN, bh * tk * d).ToArray();
        FlashAttention.Backward(bh, heads, tq, tk, d, scale, causal, q, 3, k, 5, v, 0, mask, output, 1, lse, 0, dOut, 0, dq, 0, dk, 0, dv, 0);
        TestData.AssertClose(dqRef, dq, 1e-4f, 1e-3f, "dQ");
        TestData.AssertClose(dkRef, dk, 1e-4f, 1e-3f, "dK");
        TestData.AssertClose(dvRef, dv, 1e-4f, 1e-3f, "dV");
    }

    /// <summary>Padding: [B,1,1,Tk] with the last keys of batch 1 dropped (-inf). Full: [B,1,Tq,Tk] random biases
    /// plus one query row with every key dropped.</summary>
    private static AttentionMask? MakeMask(MaskKind kind, int batch, int tq, int tk)
    {
        switch (kind)
        {
            case MaskKind.Padding:
            {
                var m = new float[batch * tk];
                for (int j = tk / 2; j < tk; j++) m[(batch - 1) * tk + j] = float.NegativeInfinity;
                return new AttentionMask(m, 0, tk, 0, 0);
            }
            case MaskKind.Full:
            {
                var m = TestData.Random(2 + batch * tq * tk, 9, 3f);
                for (int j = 0; j < tk; j++) m[2 + (tq / 2) * tk + j] = float.NegativeInfinity;
                return new AttentionMask(m, 2, (long)tq * tk, 0, tk);
            }
            default:
                return null;
        }
    }

    /// <summary>q, k and v read in place from one fused projection [B, T, 3, H, D] (q and kv of different lengths
    /// from two such buffers) and the output written as [B, T, H, D]: the same values as the contiguous call.</summary>
    [Theory]
    [InlineData(2, 3, 197, 197, 64, false, MaskKind.None)]
    [InlineData(2, 2, 37, 90, 16, true, MaskKind.Padding)]
    [InlineData(1, 4, 130, 60, 24, false, MaskKind.Full)]
    public void StridedLayoutsMatchContiguous(int batch, int heads, int tq, int tk, int d, bool causal, MaskKind maskKind)
    {
        int bh = batch * heads, c = heads * d;
        var fusedQ = TestData.Random(7 + batch * tq * 3 * c, 1, 2f);
        var fusedKv = TestData.Random(batch * tk * 3 * c, 2, 2f);
        // Contiguous copies [BH, T, D] of q (part 0 of fusedQ), k and v (parts 1 and 2 of fusedKv).
        float[] Gather(float[] src, int off, int t, int part)
        {
            var dst = new float[bh * t * d];
            for (int b = 0; b < batch; b++)
                for (int h = 0; h < heads; h++)
                    for (int i = 0; i < t; i++)
                        Array.Copy(src, off + ((long)(b * t + i) * 3 + part) * c + h * d, dst, ((b * heads + h) * t + i) * d, d);
            return dst;
        }
        var q = Gather(fusedQ, 7, tq, 0); var k = Gather(fusedKv, 0, tk, 1); var v = Gather(fusedKv, 0, tk, 2);
        var mask = MakeMask(maskKind, batch, tq, tk);
        float scale = 1f / MathF.Sqrt(d);
        var expected = new float[bh * tq * d];
        FlashAttention.Forward(bh, heads, tq, tk, d, scale, causal, q, 0, k, 0, v, 0, mask, expected, 0, null, 0);

        var qLayout = new AttentionLayout((long)tq * 3 * c, d, 3 * c);
        var kvLayout = new AttentionLayout((long)tk * 3 * c, d, 3 * c);
        var outLayout = new AttentionLayout((long)tq * c, d, c);
        var output = Enumerable.Repeat(float.NaN, 2 + batch * tq * c).ToArray();
        FlashAttention.Forward(bh, heads, tq, tk, d, scale, causal, fusedQ, 7, qLayout, fusedKv, c, kvLayout, fusedKv, 2 * c, kvLayout,
            mask, output, 2, outLayout, null, 0);
        var actual = new float[bh * tq * d];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < tq; i++)
                    Array.Copy(output, 2 + (long)(b * tq + i) * c + h * d, actual, ((b * heads + h) * tq + i) * d, d);
        TestData.AssertClose(expected, actual, 1e-6f, 1e-5f, "strided output");
        Assert.True(float.IsNaN(output[0]) && float.IsNaN(output[1])); // nothing written before the output's offset

        // A layout whose rows would overlap the next row's values, or that runs past the array, is refused.
        Assert.Throws<ArgumentException>(() => FlashAttention.Forward(bh, heads, tq, tk, d, scale, causal, fusedQ, 7,
            new AttentionLayout(qLayout.BatchStride, d, d - 1), fusedKv, c, kvLayout, fusedKv, 2 * c, kvLayout, mask, output, 2, outLayout, null, 0));
        var ex = Assert.Throws<ArgumentException>(() => FlashAttention.Forward(bh, heads, tq, tk, d, scale, causal, fusedQ, 7, qLayout,
            fusedKv, 3 * c, kvLayout, fusedKv, 2 * c, kvLayout, mask, output, 2, outLayout, null, 0));
        Assert.Contains("k needs", ex.Message);
    }

    [Fact]
    public void FullyMaskedRowGivesZeroOutputAndNegativeInfinityLse()
    {
        int tq = 3, tk = 4, d = 2;
        var mask = new float[tq * tk];
        Array.Fill(mask, float.NegativeInfinity, tk, tk); // row 1 fully masked
        var q = TestData.Random(tq * d, 1);
        var k = TestData.Random(tk * d, 2);
        var v = TestData.Random(tk * d, 3);
        var o = new float[tq * d];
        var lse = new float[tq];
        FlashAttention.Forward(1, 1, tq, tk, d, 1f, false, q, 0, k, 0, v, 0, new AttentionMask(mask, 0, 0, 0, tk), o, 0, lse, 0);
        Assert.Equal(0f, o[2]);
        Assert.Equal(0f, o[3]);
        Assert.True(float.IsNegativeInfinity(lse[1]));
        Assert.False(float.IsNaN(o[0]));
    }

    /// <summary>Finite large-negative masks (PyTorch's finfo.min) as the models' masks use them: masked keys get no
    /// weight, and a row masked everywhere gets equal weights over all keys (the mean of V), as in PyTorch, not the
    /// zero output of a row of -inf. Also a mask too large to scale into the kernel's log2 units unchanged.</summary>
    [Fact]
    public void FiniteMinValueMasksBehaveAsInPyTorch()
    {
        int tq = 3, tk = 5, d = 4;
        var mask = new float[tq * tk];
        Array.Fill(mask, float.MinValue, tk, tk);        // row 1: every key masked
        mask[2 * tk + 3] = mask[2 * tk + 4] = float.MinValue; // row 2: the last two keys masked
        mask[0] = 3e38f;                                  // row 0: a huge positive bias on key 0 (overflows times log2 e)
        var q = TestData.Random(tq * d, 1);
        var k = TestData.Random(tk * d, 2);
        var v = TestData.Random(tk * d, 3);
        var o = new float[tq * d];
        var lse = new float[tq];
        FlashAttention.Forward(1, 1, tq, tk, d, 0.5f, false, q, 0, k, 0, v, 0, new AttentionMask(mask, 0, 0, 0, tk), o, 0, lse, 0);
        var oRef = new float[tq * d];
        var lseRef = new float[tq];
        AttentionReference.Forward(1, 1, tq, tk, d, 0.5f, false, q, 0, k, 0, v, 0, new AttentionMask(mask, 0, 0, 0, tk), oRef, 0, lseRef, 0);
        for (int j = 0; j < d; j++)
        {
            float mean = 0;
            for (int key = 0; key < tk; key++) mean += v[key * d + j] / tk;
            Assert.Equal(mean, o[d + j], 5);    // uniform over all keys
            Assert.Equal(v[j], o[j], 5);        // all weight on key 0
        }
        TestData.AssertClose(oRef, o, 2e-5f, 1e-4f, "output");
        Assert.True(float.IsFinite(lse[0]) && float.IsFinite(lse[1]) && float.IsFinite(lse[2]));
    }

    [Fact]
    public void RejectsShortMask()
    {
        var x = new float[2 * 4 * 8];
        var ex = Assert.Throws<ArgumentException>(() => FlashAttention.Forward(2, 1, 4, 4, 8, 1f, false, x, 0, x, 0, x, 0,
            new AttentionMask(new float[7], 0, 4, 0, 0), new float[64], 0, null, 0));
        Assert.Contains("mask", ex.Message);
    }
}
