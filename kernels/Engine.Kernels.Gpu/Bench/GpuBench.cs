using System.Diagnostics;
using System.Globalization;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu.Bench;

/// <summary>
/// Real-size kernel checks and throughput for a GPU session (perf/gpu/run_on_gpu.sh runs them through
/// `engine gpu check|bench`). Checks compare sampled outputs with host references in double; each result is one
/// JSON line. Timings synchronise the stream around a batch of launches after a warm-up.
/// </summary>
public static class GpuBench
{
    private static string J(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static float[] Rand(int n, int seed)
    {
        var r = new Random(seed); var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    private static double Time(GpuDevice dev, Action launch, int minIters = 3, double minSeconds = 0.3)
    {
        launch(); dev.Synchronize();
        int iters = 0; var sw = Stopwatch.StartNew();
        while (iters < minIters || sw.Elapsed.TotalSeconds < minSeconds) { launch(); iters++; if (iters % 10 == 0) dev.Synchronize(); }
        dev.Synchronize();
        return sw.Elapsed.TotalSeconds / iters;
    }

    // ---------------------------------------------------------------- correctness at real sizes

    public static IEnumerable<string> Check(GpuDevice dev)
    {
        yield return CheckGemm(dev, 485, 3072, 768, false, true, GemmPrecision.Fp32, 1e-4);
        yield return CheckGemm(dev, 1024, 1024, 1024, true, false, GemmPrecision.Fp32, 1e-4);
        yield return CheckGemm(dev, 485, 3072, 768, false, true, GemmPrecision.Tf32TensorCore, 2e-2);
        yield return CheckGemm(dev, 1000, 3072, 776, false, true, GemmPrecision.Fp32, 1e-4, forceLarge: true);
        yield return CheckGemm(dev, 1000, 1030, 776, true, false, GemmPrecision.Fp32, 1e-4, forceLarge: true);
        yield return CheckAttention(dev, 2, 12, 485, 485, 64, causal: false, masked: true);
        yield return CheckAttention(dev, 1, 8, 77, 77, 64, causal: true, masked: false);
        yield return CheckConv(dev);
        yield return CheckLayerNormSoftmax(dev);
    }

    private static string Verdict(string name, double err, double tol, string extra = "") =>
        J($"{{\"check\":\"{name}\",\"max_abs_err\":{err:E3},\"tolerance\":{tol:E1},\"ok\":{(err <= tol ? "true" : "false")}{extra}}}");

    /// <param name="forceLarge">run the 128x128 fp32 kernel whatever Gemm would choose (the checks' other shapes get
    /// the 64x64 one).</param>
    private static string CheckGemm(GpuDevice dev, int m, int n, int k, bool ta, bool tb, GemmPrecision prec, double tol, bool forceLarge = false)
    {
        var a = Rand(m * k, 1); var b = Rand(k * n, 2);
        using var da = dev.Upload<float>(a); using var db = dev.Upload<float>(b); using var dc = dev.Rent<float>((long)m * n);
        int lda = ta ? m : k, ldb = tb ? k : n;
        if (forceLarge)
            Gemm.LaunchFp32(dev, Gemm.Prepare(ta, tb, m, n, k, 1f, da.View, 0, lda, db.View, 0, ldb, 0f, dc.View, 0, n, GemmBatch.Single),
                            da.View, db.View, dc.View, 1, large: true);
        else
            Gemm.Sgemm(dev, ta, tb, m, n, k, 1f, da.View, 0, lda, db.View, 0, ldb, 0f, dc.View, 0, n, prec);
        var c = dev.Download(dc.View);
        var r = new Random(3); double err = 0;
        for (int s = 0; s < 512; s++)
        {
            int i = r.Next(m), j = r.Next(n); double acc = 0;
            for (int x = 0; x < k; x++) acc += (double)(ta ? a[x * lda + i] : a[i * lda + x]) * (tb ? b[j * ldb + x] : b[x * ldb + j]);
            err = Math.Max(err, Math.Abs(acc - c[(long)i * n + j]) / Math.Sqrt(k));
        }
        return Verdict($"gemm_{prec}{(forceLarge ? "_128x128" : "")}_{m}x{n}x{k}{(ta ? "_tA" : "")}{(tb ? "_tB" : "")}", err, tol, ", \"scaled_by\":\"sqrt(k)\"");
    }

    private static string CheckAttention(GpuDevice dev, int B, int H, int Lq, int Lk, int D, bool causal, bool masked)
    {
        float scale = 1f / MathF.Sqrt(D);
        var q = Rand(B * H * Lq * D, 4); var k = Rand(B * H * Lk * D, 5); var v = Rand(B * H * Lk * D, 6);
        var mask = new float[B * Lk];
        if (masked) for (int b = 0; b < B; b++) for (int j = Lk - 17 * (b + 1); j < Lk; j++) mask[b * Lk + j] = -1e9f;
        using var dq = dev.Upload<float>(q); using var dk = dev.Upload<float>(k); using var dv = dev.Upload<float>(v); using var dm = dev.Upload<float>(mask);
        using var o = dev.Rent<float>((long)B * H * Lq * D); using var lse = dev.Rent<float>((long)B * H * Lq);
        AttnMask? am = masked ? new AttnMask(dm.View, 0, Lk, 0, 0, 1) : null;
        Attention.Forward(dev, B, H, Lq, Lk, D, AttnOperand.Contiguous(dq.View, H, Lq, D), AttnOperand.Contiguous(dk.View, H, Lk, D),
                          AttnOperand.Contiguous(dv.View, H, Lk, D), am, causal, scale, AttnOperand.Contiguous(o.View, H, Lq, D), lse.View);
        var oh = dev.Download(o.View);
        var r = new Random(7); double err = 0;
        for (int s = 0; s < 24; s++)
        {
            int b = r.Next(B), h = r.Next(H), i = r.Next(Lq);
            var sc = new double[Lk];
            for (int j = 0; j < Lk; j++)
            {
                double dot = 0;
                for (int d = 0; d < D; d++) dot += (double)q[((b * H + h) * Lq + i) * D + d] * k[((b * H + h) * Lk + j) * D + d];
                sc[j] = dot * scale + mask[b * Lk + j] + (causal && j > i ? double.NegativeInfinity : 0);
            }
            double mx = sc.Max(), z = sc.Sum(x => Math.Exp(x - mx));
            for (int d = 0; d < D; d++)
            {
                double acc = 0;
                for (int j = 0; j < Lk; j++) acc += Math.Exp(sc[j] - mx) / z * v[((b * H + h) * Lk + j) * D + d];
                err = Math.Max(err, Math.Abs(acc - oh[((b * H + h) * Lq + i) * D + d]));
            }
        }
        return Verdict($"attention_fwd_B{B}_H{H}_L{Lq}_D{D}{(causal ? "_causal" : "")}{(masked ? "_mask" : "")}", err, 1e-4);
    }

    private static string CheckConv(GpuDevice dev)
    {
        int n = 2;
        var g = ConvGeometry.ForConv2d(64, 44, 44, 64, 3, 3, (1, 1), (1, 1), (1, 1), 1);
        var x = Rand(n * 64 * 44 * 44, 8); var w = Rand(64 * 64 * 9, 9);
        using var dx = dev.Upload<float>(x); using var dw = dev.Upload<float>(w); using var y = dev.Rent<float>((long)n * 64 * 44 * 44);
        Conv.Conv2d(dev, g, n, dx.View, dw.View, default, y.View);
        var yh = dev.Download(y.View);
        var r = new Random(10); double err = 0;
        for (int s = 0; s < 256; s++)
        {
            int b = r.Next(n), oc = r.Next(64), oh = r.Next(44), ow = r.Next(44); double acc = 0;
            for (int c = 0; c < 64; c++) for (int kh = 0; kh < 3; kh++) for (int kw = 0; kw < 3; kw++)
            {
                int ih = oh - 1 + kh, iw = ow - 1 + kw;
                if (ih < 0 || ih >= 44 || iw < 0 || iw >= 44) continue;
                acc += (double)x[((b * 64 + c) * 44 + ih) * 44 + iw] * w[((oc * 64 + c) * 3 + kh) * 3 + kw];
            }
            err = Math.Max(err, Math.Abs(acc - yh[((b * 64 + oc) * 44 + oh) * 44 + ow]));
        }
        return Verdict("conv2d_3x3_64x64_44x44", err, 1e-3);
    }

    private static string CheckLayerNormSoftmax(GpuDevice dev)
    {
        int rows = 485 * 4, n = 768;
        var x = Rand(rows * n, 11);
        using var dx = dev.Upload<float>(x); using var y = dev.Rent<float>((long)rows * n); using var mean = dev.Rent<float>(rows); using var rstd = dev.Rent<float>(rows);
        LayerNorm.Forward(dev, dx.View, default, default, y.View, mean.View, rstd.View, rows, n, 1e-5f);
        var yl = dev.Download(y.View);
        Softmax.Forward(dev, dx.View, y.View, new AxisShape { Outer = rows, N = n, Inner = 1 }, false);
        var ys = dev.Download(y.View);
        double err = 0; var r = new Random(12);
        for (int s = 0; s < 16; s++)
        {
            int row = r.Next(rows);
            var xs = x.AsSpan(row * n, n).ToArray().Select(v => (double)v).ToArray();
            double mu = xs.Average(), var = xs.Average(v => (v - mu) * (v - mu)), mx = xs.Max(), z = xs.Sum(v => Math.Exp(v - mx));
            for (int j = 0; j < n; j++)
            {
                err = Math.Max(err, Math.Abs((xs[j] - mu) / Math.Sqrt(var + 1e-5) - yl[row * n + j]));
                err = Math.Max(err, Math.Abs(Math.Exp(xs[j] - mx) / z - ys[row * n + j]) * n);
            }
        }
        return Verdict("layernorm_softmax_1940x768", err, 1e-4);
    }

    // ---------------------------------------------------------------- throughput

    public static IEnumerable<string> Throughput(GpuDevice dev)
    {
        foreach (var (m, k, n) in new[] { (485, 768, 3072), (485, 3072, 768), (1024, 1024, 1024), (4096, 4096, 4096) })
            foreach (var prec in new[] { GemmPrecision.Fp32, GemmPrecision.Tf32TensorCore })
                yield return GemmThroughput(dev, m, k, n, prec);
        yield return AttentionThroughput(dev, 8, 12, 485, 64);
        yield return ConvThroughput(dev, 8, 64, 88, 88, 64, 3, 1);
        // The CLIPSeg linear layers (x W^T, batch 8 and 1 at 352 px) through each fp32 kernel, whatever Gemm would
        // choose: the data for its 64x64 / 128x128 choice.
        foreach (var (m, k, n) in new[] { (3880, 768, 768), (3880, 768, 3072), (3880, 3072, 768), (485, 768, 768), (485, 768, 3072), (485, 3072, 768) })
            foreach (var large in new[] { false, true })
                yield return GemmKernelThroughput(dev, m, k, n, large);
    }

    /// <summary>C = A B^T (m x k times (n x k)^T) through the 64x64 or the 128x128 fp32 kernel: one JSON line.</summary>
    public static string GemmKernelThroughput(GpuDevice dev, int m, int k, int n, bool large)
    {
        using var a = dev.Upload<float>(Rand(m * k, 1)); using var b = dev.Upload<float>(Rand(k * n, 2)); using var c = dev.Rent<float>((long)m * n);
        var p = Gemm.Prepare(false, true, m, n, k, 1f, a.View, 0, k, b.View, 0, k, 0f, c.View, 0, n, GemmBatch.Single);
        double s = Time(dev, () => Gemm.LaunchFp32(dev, p, a.View, b.View, c.View, 1, large));
        long tiles = Gemm.Tiles(m, n, large);
        return J($"{{\"kernel\":\"gemm_fp32_{(large ? "128x128" : "64x64")}\",\"m\":{m},\"k\":{k},\"n\":{n},\"tB\":true,\"groups\":{tiles},\"ms\":{s * 1e3:F3},\"gflops\":{2.0 * m * n * k / s / 1e9:F1}}}");
    }

    /// <summary>C = A * B (m x k times k x n) at the given precision: one JSON line with ms and GFLOPS.</summary>
    public static string GemmThroughput(GpuDevice dev, int m, int k, int n, GemmPrecision prec)
    {
        using var a = dev.Upload<float>(Rand(m * k, 1)); using var b = dev.Upload<float>(Rand(k * n, 2)); using var c = dev.Rent<float>((long)m * n);
        double s = Time(dev, () => Gemm.Sgemm(dev, false, false, m, n, k, 1f, a.View, 0, k, b.View, 0, n, 0f, c.View, 0, n, prec));
        return J($"{{\"kernel\":\"gemm_{(prec == GemmPrecision.Fp32 ? "fp32" : "tf32")}\",\"m\":{m},\"k\":{k},\"n\":{n},\"ms\":{s * 1e3:F3},\"gflops\":{2.0 * m * n * k / s / 1e9:F1}}}");
    }

    /// <summary>Fused attention forward and backward, B x H heads of L tokens x D: one JSON line.</summary>
    public static string AttentionThroughput(GpuDevice dev, int B, int H, int L, int D)
    {
        long sz = (long)B * H * L * D;
        using var q = dev.Upload<float>(Rand((int)sz, 1)); using var k = dev.Upload<float>(Rand((int)sz, 2)); using var v = dev.Upload<float>(Rand((int)sz, 3));
        using var o = dev.Rent<float>(sz); using var lse = dev.Rent<float>((long)B * H * L); using var go = dev.Upload<float>(Rand((int)sz, 4));
        using var dq = dev.Rent<float>(sz); using var dk = dev.Rent<float>(sz); using var dv = dev.Rent<float>(sz);
        AttnOperand Op(DeviceBuffer<float> t) => AttnOperand.Contiguous(t.View, H, L, D);
        float scale = 1f / MathF.Sqrt(D);
        double f = Time(dev, () => Attention.Forward(dev, B, H, L, L, D, Op(q), Op(k), Op(v), null, false, scale, Op(o), lse.View));
        double bw = Time(dev, () => Attention.Backward(dev, B, H, L, L, D, Op(q), Op(k), Op(v), null, false, scale, Op(o), Op(go), lse.View, dq.View, dk.View, dv.View));
        double flops = 4.0 * B * H * L * L * D;
        return J($"{{\"kernel\":\"attention\",\"B\":{B},\"H\":{H},\"L\":{L},\"D\":{D},\"fwd_ms\":{f * 1e3:F3},\"fwd_gflops\":{flops / f / 1e9:F1},\"bwd_ms\":{bw * 1e3:F3},\"bwd_gflops\":{2.5 * flops / bw / 1e9:F1}}}");
    }

    /// <summary>Conv2d forward, n x c x h x w input, k output channels, square kernel (padding kernel/2): one JSON line.</summary>
    public static string ConvThroughput(GpuDevice dev, int n, int c, int h, int w, int k, int kernel, int stride)
    {
        var g = ConvGeometry.ForConv2d(c, h, w, k, kernel, kernel, (stride, stride), (kernel / 2, kernel / 2), (1, 1), 1);
        using var x = dev.Upload<float>(Rand(n * c * h * w, 1)); using var wt = dev.Upload<float>(Rand(k * c * kernel * kernel, 2));
        using var y = dev.Rent<float>((long)n * k * g.OH * g.OW);
        double s = Time(dev, () => Conv.Conv2d(dev, g, n, x.View, wt.View, default, y.View));
        double flops = 2.0 * n * k * c * kernel * kernel * g.OH * g.OW;
        string name = kernel == 3 ? "conv2d_3x3" : $"conv2d_{kernel}x{kernel}";
        return J($"{{\"kernel\":\"{name}\",\"n\":{n},\"c\":{c},\"hw\":{h},\"h\":{h},\"w\":{w},\"k\":{k},\"stride\":{stride},\"ms\":{s * 1e3:F3},\"gflops\":{flops / s / 1e9:F1}}}");
    }
}
