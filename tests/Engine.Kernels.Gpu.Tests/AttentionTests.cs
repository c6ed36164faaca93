using Engine.Kernels.Gpu;
using Xunit;

namespace Engine.Kernels.Gpu.Tests;

[Collection(SimulatorCollection.Name)]
public sealed class AttentionTests(SimulatorFixture fx)
{
    private readonly GpuDevice _dev = fx.Device;

    /// <summary>Naive attention in double with analytic backward. q laid out [B, Lq, H, D] (strided heads), k/v/o/grads
    /// contiguous [B, H, L, D]; mask [B, 1, 1, Lk].</summary>
    private static (double[] o, double[] dq, double[] dk, double[] dv) Reference(int B, int H, int Lq, int Lk, int D, float[] q, float[] k, float[] v,
                                                                                  float[]? mask, bool causal, float scale, float[] go)
    {
        var o = new double[B * H * Lq * D]; var dq = new double[o.Length]; var dk = new double[B * H * Lk * D]; var dv = new double[dk.Length];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < Lq; i++)
                {
                    double Q(int dd) => q[((b * Lq + i) * H + h) * D + dd];
                    var s = new double[Lk];
                    for (int j = 0; j < Lk; j++)
                    {
                        double dot = 0;
                        for (int dd = 0; dd < D; dd++) dot += Q(dd) * k[((b * H + h) * Lk + j) * D + dd];
                        s[j] = dot * scale + (mask?[b * Lk + j] ?? 0) + (causal && j > i ? double.NegativeInfinity : 0);
                    }
                    double m = s.Max(); var p = s.Select(x => Math.Exp(x - m)).ToArray(); double z = p.Sum();
                    for (int j = 0; j < Lk; j++) p[j] /= z;
                    int ob = ((b * H + h) * Lq + i) * D;
                    for (int dd = 0; dd < D; dd++) for (int j = 0; j < Lk; j++) o[ob + dd] += p[j] * v[((b * H + h) * Lk + j) * D + dd];
                    var dp = new double[Lk];
                    for (int j = 0; j < Lk; j++) for (int dd = 0; dd < D; dd++) dp[j] += go[ob + dd] * v[((b * H + h) * Lk + j) * D + dd];
                    double dsum = 0; for (int j = 0; j < Lk; j++) dsum += p[j] * dp[j];
                    for (int j = 0; j < Lk; j++)
                    {
                        double ds = p[j] * (dp[j] - dsum);
                        int kb = ((b * H + h) * Lk + j) * D;
                        for (int dd = 0; dd < D; dd++)
                        {
                            dv[kb + dd] += p[j] * go[ob + dd];
                            dk[kb + dd] += ds * scale * Q(dd);
                            dq[ob + dd] += ds * scale * k[kb + dd];
                        }
                    }
                }
        return (o, dq, dk, dv);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void FusedForwardAndBackwardMatchNaive(bool causal, bool withMask)
    {
        int B = 2, H = 2, Lq = 19, Lk = causal ? 19 : 37, D = 12; float scale = 1f / MathF.Sqrt(D);
        var q = TestUtil.Random(B * Lq * H * D, 71); var k = TestUtil.Random(B * H * Lk * D, 72); var v = TestUtil.Random(B * H * Lk * D, 73);
        var go = TestUtil.Random(B * H * Lq * D, 74);
        float[]? mask = null;
        if (withMask) { mask = new float[B * Lk]; for (int j = Lk - 5; j < Lk; j++) mask[Lk + j] = -1e9f; mask[3] = -0.5f; }
        var (eo, edq, edk, edv) = Reference(B, H, Lq, Lk, D, q, k, v, mask, causal, scale, go);

        using var dq_ = _dev.Upload<float>(q); using var dk_ = _dev.Upload<float>(k); using var dv_ = _dev.Upload<float>(v); using var dgo = _dev.Upload<float>(go);
        using var dmask = _dev.Upload<float>(mask ?? new float[1]);
        using var o = _dev.Rent<float>(B * H * Lq * D); using var lse = _dev.Rent<float>(B * H * Lq);
        using var gq = _dev.Rent<float>(B * H * Lq * D); using var gk = _dev.Rent<float>(B * H * Lk * D); using var gv = _dev.Rent<float>(B * H * Lk * D);
        var qOp = new AttnOperand(dq_.View, 0, (long)Lq * H * D, D, H * D); // [B, Lq, H, D] viewed as [B, H, Lq, D]
        var kOp = AttnOperand.Contiguous(dk_.View, H, Lk, D); var vOp = AttnOperand.Contiguous(dv_.View, H, Lk, D);
        var oOp = AttnOperand.Contiguous(o.View, H, Lq, D); var gOp = AttnOperand.Contiguous(dgo.View, H, Lq, D);
        AttnMask? m = withMask ? new AttnMask(dmask.View, 0, Lk, 0, 0, 1) : null;
        Attention.Forward(_dev, B, H, Lq, Lk, D, qOp, kOp, vOp, m, causal, scale, oOp, lse.View);
        Attention.Backward(_dev, B, H, Lq, Lk, D, qOp, kOp, vOp, m, causal, scale, oOp, gOp, lse.View, gq.View, gk.View, gv.View);
        TestUtil.Close(eo.Select(x => (float)x).ToArray(), _dev.Download(o.View), 2e-6f, 1e-5f, "o");
        // dq is laid out like the contiguous [B, H, Lq, D] reference.
        TestUtil.Close(edq.Select(x => (float)x).ToArray(), _dev.Download(gq.View), 1e-5f, 1e-4f, "dq");
        TestUtil.Close(edk.Select(x => (float)x).ToArray(), _dev.Download(gk.View), 1e-5f, 1e-4f, "dk");
        TestUtil.Close(edv.Select(x => (float)x).ToArray(), _dev.Download(gv.View), 1e-5f, 1e-4f, "dv");
    }

    [Fact]
    public void HeadDimAboveLimitIsRejected()
    {
        using var t = _dev.Rent<float>(4 * 130);
        var op = AttnOperand.Contiguous(t.View, 1, 4, 130);
        Assert.Throws<ArgumentOutOfRangeException>(() => Attention.Forward(_dev, 1, 1, 4, 4, 130, op, op, op, null, false, 1f, op, t.View));
    }
}
