using System.Diagnostics;
using Engine.Backends;

namespace Engine.Profiling;

/// <summary>
/// Decorator that times every call of another backend and reports it to <see cref="OpProfiler"/> with its work:
/// FLOPs for GEMM, convolution and attention (2 per multiply-add of the math, no recomputation counted), bytes
/// moved for the memory-bound kernels. Handed out by <see cref="BackendRegistry.Get"/> only while profiling is on.
/// </summary>
public sealed class ProfilingBackend : IBackend
{
    private readonly IBackend _inner;

    internal ProfilingBackend(IBackend inner) { _inner = inner; }

    public IBackend Inner => _inner;
    public Device Device => _inner.Device;

    public void Synchronize() => _inner.Synchronize();

    private static long Now => Stopwatch.GetTimestamp();

    /// <summary>Ends a timed call: waits for an asynchronous backend (a GPU stream) to finish the call's work first,
    /// so GPU rows show kernel time rather than launch time (every call is timed this way, so none starts with
    /// another's work still queued).</summary>
    private void Record(string name, long start, double flops = 0, double bytes = 0)
    {
        _inner.Synchronize();
        OpProfiler.Record(name, start, flops, bytes);
    }
    private static string Shaped(string name, Func<string> detail) => OpProfiler.ByShape ? name + " " + detail() : name;
    private static string Lower(Enum e) => e.ToString().ToLowerInvariant();

    public Storage Allocate(DType dtype, long length, bool clear)
    {
        long t = Now;
        var s = _inner.Allocate(dtype, length, clear);
        Record(clear ? "alloc.zeroed" : "alloc", t, 0, clear ? length * 4.0 : 0);
        return s;
    }

    public void CopyStrided(Storage src, long srcOffset, ReadOnlySpan<long> srcStrides, ReadOnlySpan<int> shape, Storage dst, long dstOffset, ReadOnlySpan<long> dstStrides)
    {
        long t = Now;
        _inner.CopyStrided(src, srcOffset, srcStrides, shape, dst, dstOffset, dstStrides);
        Record(CopyKind(srcStrides, shape, dstStrides), t, 0, 8.0 * Shape.Numel(shape));
    }

    /// <summary>"copy.contiguous" (both sides dense), "copy.broadcast" (a stride-0 source axis, e.g. a bias fill) or
    /// "copy.strided" (a real relayout such as Contiguous() of a transposed view).</summary>
    private static string CopyKind(ReadOnlySpan<long> ss, ReadOnlySpan<int> shape, ReadOnlySpan<long> ds)
    {
        bool broadcast = false;
        for (int i = 0; i < shape.Length; i++) if (shape[i] > 1 && ss[i] == 0) broadcast = true;
        if (broadcast) return "copy.broadcast";
        return Dense(ss, shape) && Dense(ds, shape) ? "copy.contiguous" : "copy.strided";
    }

    private static bool Dense(ReadOnlySpan<long> st, ReadOnlySpan<int> shape)
    {
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && st[i] != acc) return false;
            acc *= shape[i];
        }
        return true;
    }

    public void Upload(ReadOnlySpan<float> src, Storage dst, long dstOffset)
    {
        long t = Now; _inner.Upload(src, dst, dstOffset); Record("upload", t, 0, 4.0 * src.Length);
    }

    public void Download(Storage src, long srcOffset, Span<float> dst)
    {
        long t = Now; _inner.Download(src, srcOffset, dst); Record("download", t, 0, 4.0 * dst.Length);
    }

    public void Fill(Storage dst, long dstOffset, long count, float value)
    {
        long t = Now; _inner.Fill(dst, dstOffset, count, value); Record("fill", t, 0, 4.0 * count);
    }

    public void Unary(UnaryOp op, Storage x, long xOffset, Storage y, long yOffset, long n, float alpha, float beta)
    {
        long t = Now; _inner.Unary(op, x, xOffset, y, yOffset, n, alpha, beta); Record("unary." + Lower(op), t, 0, 8.0 * n);
    }

    public void UnaryBackward(UnaryOp op, Storage x, long xOffset, Storage y, long yOffset, Storage gy, long gyOffset, Storage gx, long gxOffset, long n, float alpha, float beta)
    {
        long t = Now; _inner.UnaryBackward(op, x, xOffset, y, yOffset, gy, gyOffset, gx, gxOffset, n, alpha, beta);
        Record("unary_grad." + Lower(op), t, 0, 12.0 * n);
    }

    public void Binary(BinaryOp op, Storage a, long aOffset, ReadOnlySpan<long> aStrides, Storage b, long bOffset, ReadOnlySpan<long> bStrides, ReadOnlySpan<int> shape, Storage y, long yOffset)
    {
        long t = Now; _inner.Binary(op, a, aOffset, aStrides, b, bOffset, bStrides, shape, y, yOffset);
        Record("binary." + Lower(op), t, 0, 12.0 * Shape.Numel(shape));
    }

    public void Where(Storage cond, long cOffset, ReadOnlySpan<long> cStrides, Storage a, long aOffset, ReadOnlySpan<long> aStrides, Storage b, long bOffset, ReadOnlySpan<long> bStrides, ReadOnlySpan<int> shape, Storage y, long yOffset)
    {
        long t = Now; _inner.Where(cond, cOffset, cStrides, a, aOffset, aStrides, b, bOffset, bStrides, shape, y, yOffset);
        Record("where", t, 0, 16.0 * Shape.Numel(shape));
    }

    public void ReduceSum(Storage x, long xOffset, int outer, int n, int inner, float scale, Storage y, long yOffset)
    {
        long t = Now; _inner.ReduceSum(x, xOffset, outer, n, inner, scale, y, yOffset);
        Record("reduce_sum", t, 0, 4.0 * outer * inner * (n + 1.0));
    }

    public void ReduceMax(Storage x, long xOffset, int outer, int n, int inner, Storage values, long valuesOffset, Span<long> indices)
    {
        long t = Now; _inner.ReduceMax(x, xOffset, outer, n, inner, values, valuesOffset, indices);
        Record("reduce_max", t, 0, 4.0 * outer * inner * (n + 1.0));
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda, Storage b, long bOffset, int ldb, float beta, Storage c, long cOffset, int ldc)
    {
        long t = Now; _inner.Gemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
        Record(Shaped("gemm", () => $"{m}x{n}x{k} {(transA ? 'T' : 'N')}{(transB ? 'T' : 'N')}"), t, 2.0 * m * n * k, 4.0 * ((double)m * k + (double)k * n + 2.0 * m * n));
    }

    public void GemmBatched(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda, long strideA, Storage b, long bOffset, int ldb, long strideB, float beta, Storage c, long cOffset, int ldc, long strideC, int batch)
    {
        long t = Now; _inner.GemmBatched(transA, transB, m, n, k, alpha, a, aOffset, lda, strideA, b, bOffset, ldb, strideB, beta, c, cOffset, ldc, strideC, batch);
        Record(Shaped("gemm_batched", () => $"{batch}x{m}x{n}x{k} {(transA ? 'T' : 'N')}{(transB ? 'T' : 'N')}"), t, 2.0 * batch * m * n * k,
            4.0 * batch * ((double)m * k + (double)k * n + 2.0 * m * n));
    }

    public void Softmax(Storage x, long xOffset, int rows, int n, bool log, Storage y, long yOffset)
    {
        long t = Now; _inner.Softmax(x, xOffset, rows, n, log, y, yOffset); Record(log ? "log_softmax" : "softmax", t, 0, 8.0 * rows * n);
    }

    public void SoftmaxBackward(Storage y, long yOffset, Storage gy, long gyOffset, int rows, int n, bool log, Storage gx, long gxOffset)
    {
        long t = Now; _inner.SoftmaxBackward(y, yOffset, gy, gyOffset, rows, n, log, gx, gxOffset);
        Record(log ? "log_softmax_grad" : "softmax_grad", t, 0, 12.0 * rows * n);
    }

    public void LayerNorm(Storage x, long xOffset, Storage? weight, long wOffset, Storage? bias, long bOffset, int rows, int n, float eps, Storage y, long yOffset, Storage mean, Storage rstd)
    {
        long t = Now; _inner.LayerNorm(x, xOffset, weight, wOffset, bias, bOffset, rows, n, eps, y, yOffset, mean, rstd);
        Record("layer_norm", t, 0, 8.0 * rows * n);
    }

    public void LayerNormBackward(Storage x, long xOffset, Storage? weight, long wOffset, Storage gy, long gyOffset, Storage mean, Storage rstd, int rows, int n, Storage gx, long gxOffset, Storage? gw, Storage? gb)
    {
        long t = Now; _inner.LayerNormBackward(x, xOffset, weight, wOffset, gy, gyOffset, mean, rstd, rows, n, gx, gxOffset, gw, gb);
        Record("layer_norm_grad", t, 0, 12.0 * rows * n);
    }

    public void ChannelStats(Storage x, long xOffset, int batch, int channels, int spatial, Storage mean, Storage var)
    {
        long t = Now; _inner.ChannelStats(x, xOffset, batch, channels, spatial, mean, var);
        Record("channel_stats", t, 0, 8.0 * batch * channels * spatial);
    }

    public void ChannelAffine(Storage x, long xOffset, int batch, int channels, int spatial, Storage scale, Storage shift, Storage y, long yOffset)
    {
        long t = Now; _inner.ChannelAffine(x, xOffset, batch, channels, spatial, scale, shift, y, yOffset);
        Record("channel_affine", t, 0, 8.0 * batch * channels * spatial);
    }

    public void ChannelGradSums(Storage x, long xOffset, Storage gy, long gyOffset, int batch, int channels, int spatial, Storage sumGy, Storage sumGyX)
    {
        long t = Now; _inner.ChannelGradSums(x, xOffset, gy, gyOffset, batch, channels, spatial, sumGy, sumGyX);
        Record("channel_grad_sums", t, 0, 8.0 * batch * channels * spatial);
    }

    public void IndexSelect(Storage x, long xOffset, int outer, int n, int inner, ReadOnlySpan<int> index, Storage y, long yOffset)
    {
        long t = Now; _inner.IndexSelect(x, xOffset, outer, n, inner, index, y, yOffset);
        Record("index_select", t, 0, 8.0 * outer * index.Length * inner);
    }

    public void IndexAdd(Storage g, long gOffset, int outer, int n, int inner, ReadOnlySpan<int> index, Storage gx, long gxOffset)
    {
        long t = Now; _inner.IndexAdd(g, gOffset, outer, n, inner, index, gx, gxOffset);
        Record("index_add", t, 0, 12.0 * outer * index.Length * inner);
    }

    public void Gather(Storage x, long xOffset, int outer, int n, int inner, ReadOnlySpan<int> index, int m, Storage y, long yOffset)
    {
        long t = Now; _inner.Gather(x, xOffset, outer, n, inner, index, m, y, yOffset);
        Record("gather", t, 0, 12.0 * outer * m * inner);
    }

    public void ScatterAdd(Storage g, long gOffset, int outer, int n, int inner, ReadOnlySpan<int> index, int m, Storage gx, long gxOffset)
    {
        long t = Now; _inner.ScatterAdd(g, gOffset, outer, n, inner, index, m, gx, gxOffset);
        Record("scatter_add", t, 0, 16.0 * outer * m * inner);
    }

    public void Im2Col(Storage x, long xOffset, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int outH, int outW, Storage col, long colOffset)
    {
        long t = Now; _inner.Im2Col(x, xOffset, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, outH, outW, col, colOffset);
        Record("im2col", t, 0, 8.0 * c * kh * kw * outH * outW);
    }

    public void Col2Im(Storage col, long colOffset, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int outH, int outW, Storage x, long xOffset)
    {
        long t = Now; _inner.Col2Im(col, colOffset, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, outH, outW, x, xOffset);
        Record("col2im", t, 0, 12.0 * c * kh * kw * outH * outW);
    }

    // ---------------------------------------------------------------- convolutions

    private static double ConvFlops(in ConvSpec s) => 2.0 * s.Batch * s.OutChannels * s.ConvOutH * s.ConvOutW * s.InPerGroup * s.KernelH * s.KernelW;
    private static double ConvTFlops(in ConvSpec s) => 2.0 * s.Batch * s.InChannels * s.Height * s.Width * s.OutPerGroup * s.KernelH * s.KernelW;
    private static string ConvShape(in ConvSpec s) => $"N{s.Batch} C{s.InChannels} {s.Height}x{s.Width} K{s.OutChannels} {s.KernelH}x{s.KernelW}/{s.StrideH}";

    public void Conv2dForward(in ConvSpec s, Storage x, long xOffset, Storage w, long wOffset, Storage? bias, long biasOffset, Storage y, long yOffset)
    {
        long t = Now; _inner.Conv2dForward(s, x, xOffset, w, wOffset, bias, biasOffset, y, yOffset);
        var c = s; Record(Shaped("conv2d", () => ConvShape(c)), t, ConvFlops(s));
    }

    public void Conv2dBackwardData(in ConvSpec s, Storage gy, long gyOffset, Storage w, long wOffset, Storage gx, long gxOffset)
    {
        long t = Now; _inner.Conv2dBackwardData(s, gy, gyOffset, w, wOffset, gx, gxOffset);
        var c = s; Record(Shaped("conv2d_grad_input", () => ConvShape(c)), t, ConvFlops(s));
    }

    public void Conv2dBackwardWeight(in ConvSpec s, Storage x, long xOffset, Storage gy, long gyOffset, Storage gw, long gwOffset)
    {
        long t = Now; _inner.Conv2dBackwardWeight(s, x, xOffset, gy, gyOffset, gw, gwOffset);
        var c = s; Record(Shaped("conv2d_grad_weight", () => ConvShape(c)), t, ConvFlops(s));
    }

    public void ConvTranspose2dForward(in ConvSpec s, Storage x, long xOffset, Storage w, long wOffset, Storage? bias, long biasOffset, Storage y, long yOffset)
    {
        long t = Now; _inner.ConvTranspose2dForward(s, x, xOffset, w, wOffset, bias, biasOffset, y, yOffset);
        var c = s; Record(Shaped("conv_transpose2d", () => ConvShape(c)), t, ConvTFlops(s));
    }

    public void ConvTranspose2dBackwardData(in ConvSpec s, Storage gy, long gyOffset, Storage w, long wOffset, Storage gx, long gxOffset)
    {
        long t = Now; _inner.ConvTranspose2dBackwardData(s, gy, gyOffset, w, wOffset, gx, gxOffset);
        var c = s; Record(Shaped("conv_transpose2d_grad_input", () => ConvShape(c)), t, ConvTFlops(s));
    }

    public void ConvTranspose2dBackwardWeight(in ConvSpec s, Storage x, long xOffset, Storage gy, long gyOffset, Storage gw, long gwOffset)
    {
        long t = Now; _inner.ConvTranspose2dBackwardWeight(s, x, xOffset, gy, gyOffset, gw, gwOffset);
        var c = s; Record(Shaped("conv_transpose2d_grad_weight", () => ConvShape(c)), t, ConvTFlops(s));
    }

    // ---------------------------------------------------------------- attention

    public bool SupportsFusedAttention => _inner.SupportsFusedAttention;

    private static double AttnFlops(int bh, int tq, int tk, int d, bool causal) => 4.0 * bh * tq * tk * d * (causal ? 0.5 : 1.0);

    public void AttentionForward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal, Storage q, long qOffset, Storage k, long kOffset, Storage v, long vOffset,
        Storage? mask, long maskOffset, long maskBatchStride, long maskHeadStride, long maskRowStride, Storage output, long outOffset, Storage logSumExp, long lseOffset)
    {
        long t = Now;
        _inner.AttentionForward(batchHeads, heads, tq, tk, d, scale, causal, q, qOffset, k, kOffset, v, vOffset, mask, maskOffset, maskBatchStride, maskHeadStride, maskRowStride,
            output, outOffset, logSumExp, lseOffset);
        Record(Shaped("attention", () => $"{batchHeads}x{tq}x{tk}x{d}"), t, AttnFlops(batchHeads, tq, tk, d, causal));
    }

    public bool SupportsStridedAttention => _inner.SupportsStridedAttention;

    public void AttentionForwardStrided(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
        Storage q, long qOffset, Engine.Kernels.Cpu.AttentionLayout qLayout, Storage k, long kOffset, Engine.Kernels.Cpu.AttentionLayout kLayout,
        Storage v, long vOffset, Engine.Kernels.Cpu.AttentionLayout vLayout,
        Storage? mask, long maskOffset, long maskBatchStride, long maskHeadStride, long maskRowStride,
        Storage output, long outOffset, Engine.Kernels.Cpu.AttentionLayout outLayout)
    {
        long t = Now;
        _inner.AttentionForwardStrided(batchHeads, heads, tq, tk, d, scale, causal, q, qOffset, qLayout, k, kOffset, kLayout, v, vOffset, vLayout,
            mask, maskOffset, maskBatchStride, maskHeadStride, maskRowStride, output, outOffset, outLayout);
        Record(Shaped("attention", () => $"{batchHeads}x{tq}x{tk}x{d}"), t, AttnFlops(batchHeads, tq, tk, d, causal));
    }

    public void AttentionBackward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal, Storage q, long qOffset, Storage k, long kOffset, Storage v, long vOffset,
        Storage? mask, long maskOffset, long maskBatchStride, long maskHeadStride, long maskRowStride, Storage output, long outOffset, Storage logSumExp, long lseOffset,
        Storage dOut, long dOutOffset, Storage dQ, long dQOffset, Storage dK, long dKOffset, Storage dV, long dVOffset)
    {
        long t = Now;
        _inner.AttentionBackward(batchHeads, heads, tq, tk, d, scale, causal, q, qOffset, k, kOffset, v, vOffset, mask, maskOffset, maskBatchStride, maskHeadStride, maskRowStride,
            output, outOffset, logSumExp, lseOffset, dOut, dOutOffset, dQ, dQOffset, dK, dKOffset, dV, dVOffset);
        // dV, dP, dQ, dK: twice the forward's multiply-adds (the score recomputation is not counted).
        Record(Shaped("attention_grad", () => $"{batchHeads}x{tq}x{tk}x{d}"), t, 2 * AttnFlops(batchHeads, tq, tk, d, causal));
    }

    // ---------------------------------------------------------------- pooling, resampling

    public void MaxPool2d(Storage x, long xOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW, Storage y, long yOffset, Storage argmax)
    {
        long t = Now; _inner.MaxPool2d(x, xOffset, planes, h, w, kh, kw, sh, sw, ph, pw, outH, outW, y, yOffset, argmax);
        Record("max_pool2d", t, 0, 4.0 * planes * ((double)h * w + 2.0 * outH * outW));
    }

    public void MaxPool2dBackward(Storage gy, long gyOffset, Storage argmax, int planes, int h, int w, int outH, int outW, Storage gx, long gxOffset)
    {
        long t = Now; _inner.MaxPool2dBackward(gy, gyOffset, argmax, planes, h, w, outH, outW, gx, gxOffset);
        Record("max_pool2d_grad", t, 0, 4.0 * planes * ((double)h * w + 2.0 * outH * outW));
    }

    public void AvgPool2d(Storage x, long xOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW, bool countIncludePad, Storage y, long yOffset)
    {
        long t = Now; _inner.AvgPool2d(x, xOffset, planes, h, w, kh, kw, sh, sw, ph, pw, outH, outW, countIncludePad, y, yOffset);
        Record("avg_pool2d", t, 0, 4.0 * planes * ((double)h * w + outH * outW));
    }

    public void AvgPool2dBackward(Storage gy, long gyOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW, bool countIncludePad, Storage gx, long gxOffset)
    {
        long t = Now; _inner.AvgPool2dBackward(gy, gyOffset, planes, h, w, kh, kw, sh, sw, ph, pw, outH, outW, countIncludePad, gx, gxOffset);
        Record("avg_pool2d_grad", t, 0, 4.0 * planes * ((double)h * w + outH * outW));
    }

    public void AdaptiveAvgPool2d(Storage x, long xOffset, int planes, int h, int w, int outH, int outW, Storage y, long yOffset)
    {
        long t = Now; _inner.AdaptiveAvgPool2d(x, xOffset, planes, h, w, outH, outW, y, yOffset);
        Record("adaptive_avg_pool2d", t, 0, 4.0 * planes * ((double)h * w + outH * outW));
    }

    public void AdaptiveAvgPool2dBackward(Storage gy, long gyOffset, int planes, int h, int w, int outH, int outW, Storage gx, long gxOffset)
    {
        long t = Now; _inner.AdaptiveAvgPool2dBackward(gy, gyOffset, planes, h, w, outH, outW, gx, gxOffset);
        Record("adaptive_avg_pool2d_grad", t, 0, 4.0 * planes * ((double)h * w + outH * outW));
    }

    public void Interpolate2d(InterpolationMode mode, bool alignCorners, Storage x, long xOffset, int planes, int h, int w, int outH, int outW, Storage y, long yOffset)
    {
        long t = Now; _inner.Interpolate2d(mode, alignCorners, x, xOffset, planes, h, w, outH, outW, y, yOffset);
        Record("interpolate." + Lower(mode), t, 0, 4.0 * planes * ((double)h * w + outH * outW));
    }

    public void Interpolate2dBackward(InterpolationMode mode, bool alignCorners, Storage gy, long gyOffset, int planes, int h, int w, int outH, int outW, Storage gx, long gxOffset)
    {
        long t = Now; _inner.Interpolate2dBackward(mode, alignCorners, gy, gyOffset, planes, h, w, outH, outW, gx, gxOffset);
        Record("interpolate_grad." + Lower(mode), t, 0, 4.0 * planes * ((double)h * w + outH * outW));
    }

    // ---------------------------------------------------------------- optimisers

    public void AdamWStep(Storage p, long pOffset, Storage g, long gOffset, Storage m, long mOffset, Storage v, long vOffset, long n,
        float decay, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt)
    {
        long t = Now; _inner.AdamWStep(p, pOffset, g, gOffset, m, mOffset, v, vOffset, n, decay, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt);
        Record("adamw_step", t, 0, 28.0 * n);
    }

    public void SgdStep(Storage p, long pOffset, Storage g, long gOffset, Storage? buf, long bufOffset, long n, float lr, float momentum, float dampening, float weightDecay, bool nesterov, bool firstStep)
    {
        long t = Now; _inner.SgdStep(p, pOffset, g, gOffset, buf, bufOffset, n, lr, momentum, dampening, weightDecay, nesterov, firstStep);
        Record("sgd_step", t, 0, 20.0 * n);
    }
}
