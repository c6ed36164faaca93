namespace Engine.Backends;

/// <summary>
/// The kernel set of one device. Ops in <see cref="Ops"/> validate shapes, allocate results and record autograd;
/// they then call these kernels, which see only storages, offsets, strides and sizes. A new device (the ILGPU
/// backend) implements this interface and registers itself in <see cref="BackendRegistry"/>; models never change.
/// Conventions: every float storage is F32; "contiguous [a, b, c]" means row-major starting at the given offset;
/// output buffers never alias inputs unless a method says so; index arrays are host spans (ids live on the CPU).
/// </summary>
public interface IBackend
{
    Device Device { get; }

    /// <summary>Waits until all work submitted so far has finished (asynchronous backends such as a GPU stream;
    /// synchronous ones return at once). Used by the profiler to time kernels rather than their launches.</summary>
    void Synchronize() { }

    Storage Allocate(DType dtype, long length, bool clear);

    /// <summary>Copies a strided view into another strided view of the same shape (both on this device).</summary>
    void CopyStrided(Storage src, long srcOffset, ReadOnlySpan<long> srcStrides, ReadOnlySpan<int> shape,
                     Storage dst, long dstOffset, ReadOnlySpan<long> dstStrides);

    /// <summary>Host upload/download of a contiguous range.</summary>
    void Upload(ReadOnlySpan<float> src, Storage dst, long dstOffset);
    void Download(Storage src, long srcOffset, Span<float> dst);

    // ---------------------------------------------------------------- elementwise

    /// <summary>dst[0..count) = value.</summary>
    void Fill(Storage dst, long dstOffset, long count, float value);

    /// <summary>y = op(x) on n contiguous elements. y may alias x exactly (in place).</summary>
    void Unary(UnaryOp op, Storage x, long xOffset, Storage y, long yOffset, long n, float alpha, float beta);

    /// <summary>gx = gy * d op(x)/dx on n contiguous elements; y = op(x) is passed for ops whose derivative uses it.</summary>
    void UnaryBackward(UnaryOp op, Storage x, long xOffset, Storage y, long yOffset, Storage gy, long gyOffset,
                       Storage gx, long gxOffset, long n, float alpha, float beta);

    /// <summary>y = op(a, b) over <paramref name="shape"/>; a and b are strided (stride 0 = broadcast), y is contiguous.
    /// y may be exactly the same buffer as a contiguous, non-broadcast a or b (in place).</summary>
    void Binary(BinaryOp op, Storage a, long aOffset, ReadOnlySpan<long> aStrides, Storage b, long bOffset, ReadOnlySpan<long> bStrides,
                ReadOnlySpan<int> shape, Storage y, long yOffset);

    /// <summary>y = cond != 0 ? a : b over <paramref name="shape"/>; cond is a float 0/1 mask; all inputs strided, y contiguous.</summary>
    void Where(Storage cond, long cOffset, ReadOnlySpan<long> cStrides, Storage a, long aOffset, ReadOnlySpan<long> aStrides,
               Storage b, long bOffset, ReadOnlySpan<long> bStrides, ReadOnlySpan<int> shape, Storage y, long yOffset);

    // ---------------------------------------------------------------- reductions

    /// <summary>x contiguous [outer, n, inner] -> y contiguous [outer, inner] = scale * sum over n.</summary>
    void ReduceSum(Storage x, long xOffset, int outer, int n, int inner, float scale, Storage y, long yOffset);

    /// <summary>x contiguous [outer, n, inner] -> max values y [outer, inner] and (host) indices of the first maximum.
    /// NaN counts as the maximum (as in PyTorch).</summary>
    void ReduceMax(Storage x, long xOffset, int outer, int n, int inner, Storage values, long valuesOffset, Span<long> indices);

    // ---------------------------------------------------------------- linear algebra

    /// <summary>Row-major C = alpha op(A) op(B) + beta C; op(A) [m, k], op(B) [k, n]. beta == 0 ignores C's contents.</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda,
              Storage b, long bOffset, int ldb, float beta, Storage c, long cOffset, int ldc);

    /// <summary><see cref="Gemm"/> over <paramref name="batch"/> matrices spaced by the given strides (0 = shared).</summary>
    void GemmBatched(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda, long strideA,
                     Storage b, long bOffset, int ldb, long strideB, float beta, Storage c, long cOffset, int ldc, long strideC, int batch);

    // ---------------------------------------------------------------- softmax, normalisation

    /// <summary>Row softmax (or log-softmax) of contiguous [rows, n].</summary>
    void Softmax(Storage x, long xOffset, int rows, int n, bool log, Storage y, long yOffset);

    /// <summary>gx from the softmax output y and gy, contiguous [rows, n].</summary>
    void SoftmaxBackward(Storage y, long yOffset, Storage gy, long gyOffset, int rows, int n, bool log, Storage gx, long gxOffset);

    /// <summary>LayerNorm of contiguous [rows, n] over n (biased variance); writes mean and 1/sqrt(var+eps) per row.</summary>
    void LayerNorm(Storage x, long xOffset, Storage? weight, long wOffset, Storage? bias, long bOffset, int rows, int n, float eps,
                   Storage y, long yOffset, Storage mean, Storage rstd);

    /// <summary>gx (overwritten) and, when given, gw/gb (overwritten, [n]) for LayerNorm.</summary>
    void LayerNormBackward(Storage x, long xOffset, Storage? weight, long wOffset, Storage gy, long gyOffset, Storage mean, Storage rstd,
                           int rows, int n, Storage gx, long gxOffset, Storage? gw, Storage? gb);

    /// <summary>Per-channel mean and biased variance of contiguous x [batch, channels, spatial] (outputs [channels]).</summary>
    void ChannelStats(Storage x, long xOffset, int batch, int channels, int spatial, Storage mean, Storage var);

    /// <summary>y = x * scale[c] + shift[c] for contiguous [batch, channels, spatial].</summary>
    void ChannelAffine(Storage x, long xOffset, int batch, int channels, int spatial, Storage scale, Storage shift, Storage y, long yOffset);

    /// <summary>Per-channel sums of gy and of gy * x (contiguous [batch, channels, spatial]; outputs [channels]).</summary>
    void ChannelGradSums(Storage x, long xOffset, Storage gy, long gyOffset, int batch, int channels, int spatial, Storage sumGy, Storage sumGyX);

    // ---------------------------------------------------------------- indexing

    /// <summary>y [outer, index.Length, inner] = x [outer, n, inner] picked along the middle axis.</summary>
    void IndexSelect(Storage x, long xOffset, int outer, int n, int inner, ReadOnlySpan<int> index, Storage y, long yOffset);

    /// <summary>gx [outer, n, inner] += g [outer, index.Length, inner] scattered along the middle axis (repeats add).</summary>
    void IndexAdd(Storage g, long gOffset, int outer, int n, int inner, ReadOnlySpan<int> index, Storage gx, long gxOffset);

    /// <summary>y [outer, m, inner] with y[o, j, i] = x[o, index[o, j, i], i]; x contiguous [outer, n, inner], index [outer, m, inner].</summary>
    void Gather(Storage x, long xOffset, int outer, int n, int inner, ReadOnlySpan<int> index, int m, Storage y, long yOffset);

    /// <summary>Adjoint of <see cref="Gather"/>: gx[o, index[o, j, i], i] += g[o, j, i].</summary>
    void ScatterAdd(Storage g, long gOffset, int outer, int n, int inner, ReadOnlySpan<int> index, int m, Storage gx, long gxOffset);

    // ---------------------------------------------------------------- convolution helpers

    /// <summary>col [c*kh*kw, outH*outW] from one image x [c, h, w] (zero padding).</summary>
    void Im2Col(Storage x, long xOffset, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                int outH, int outW, Storage col, long colOffset);

    /// <summary>Adjoint of <see cref="Im2Col"/>: x [c, h, w] += col scattered back.</summary>
    void Col2Im(Storage col, long colOffset, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                int outH, int outW, Storage x, long xOffset);

    // ---------------------------------------------------------------- convolutions (batched; defaults compose Im2Col/Col2Im/Gemm)

    /// <summary>Conv2d over the batch: y [N, Cout, outH, outW] = conv(x, w) (+ bias [Cout]); y overwritten.</summary>
    void Conv2dForward(in ConvSpec s, Storage x, long xOffset, Storage w, long wOffset, Storage? bias, long biasOffset, Storage y, long yOffset)
        => ConvFallback.Conv2dForward(this, s, x, xOffset, w, wOffset, bias, biasOffset, y, yOffset);

    /// <summary>gx [N, Cin, H, W] (overwritten) from gy and w.</summary>
    void Conv2dBackwardData(in ConvSpec s, Storage gy, long gyOffset, Storage w, long wOffset, Storage gx, long gxOffset)
        => ConvFallback.Conv2dBackwardData(this, s, gy, gyOffset, w, wOffset, gx, gxOffset);

    /// <summary>gw [Cout, Cin/groups, kh, kw] (overwritten) from x and gy.</summary>
    void Conv2dBackwardWeight(in ConvSpec s, Storage x, long xOffset, Storage gy, long gyOffset, Storage gw, long gwOffset)
        => ConvFallback.Conv2dBackwardWeight(this, s, x, xOffset, gy, gyOffset, gw, gwOffset);

    /// <summary>ConvTranspose2d over the batch: y [N, Cout, outH, outW] (overwritten), w [Cin, Cout/groups, kh, kw].</summary>
    void ConvTranspose2dForward(in ConvSpec s, Storage x, long xOffset, Storage w, long wOffset, Storage? bias, long biasOffset, Storage y, long yOffset)
        => ConvFallback.ConvTranspose2dForward(this, s, x, xOffset, w, wOffset, bias, biasOffset, y, yOffset);

    void ConvTranspose2dBackwardData(in ConvSpec s, Storage gy, long gyOffset, Storage w, long wOffset, Storage gx, long gxOffset)
        => ConvFallback.ConvTranspose2dBackwardData(this, s, gy, gyOffset, w, wOffset, gx, gxOffset);

    void ConvTranspose2dBackwardWeight(in ConvSpec s, Storage x, long xOffset, Storage gy, long gyOffset, Storage gw, long gwOffset)
        => ConvFallback.ConvTranspose2dBackwardWeight(this, s, x, xOffset, gy, gyOffset, gw, gwOffset);

    // ---------------------------------------------------------------- fused attention (optional)

    /// <summary>True when <see cref="AttentionForward"/>/<see cref="AttentionBackward"/> are implemented; otherwise
    /// Ops.ScaledDotProductAttention composes MatMul/Softmax.</summary>
    bool SupportsFusedAttention => false;

    /// <summary>out [BH, Tq, D] = softmax(scale q k^T + mask (+ causal)) v with q [BH, Tq, D], k and v [BH, Tk, D]
    /// (bh = b*heads + h), all contiguous. mask (optional) is additive: element (b, h, i, j) at maskOffset + b*maskBatchStride
    /// + h*maskHeadStride + i*maskRowStride + j. Writes the row log-sum-exp [BH, Tq] for the backward. Fully masked rows give 0.</summary>
    void AttentionForward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
                          Storage q, long qOffset, Storage k, long kOffset, Storage v, long vOffset,
                          Storage? mask, long maskOffset, long maskBatchStride, long maskHeadStride, long maskRowStride,
                          Storage output, long outOffset, Storage logSumExp, long lseOffset)
        => throw new NotSupportedException("This backend has no fused attention.");

    /// <summary>True when <see cref="AttentionForwardStrided"/> is implemented.</summary>
    bool SupportsStridedAttention => false;

    /// <summary>The inference form of <see cref="AttentionForward"/>: each operand's rows where its layout says (row t of
    /// head h in batch b at offset + b*BatchStride + h*HeadStride + t*RowStride, D values contiguous), so q, k and v
    /// are read in place from a fused projection and the output can be written as [B, T, H, D]; no log-sum-exp.</summary>
    void AttentionForwardStrided(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
                                 Storage q, long qOffset, Engine.Kernels.Cpu.AttentionLayout qLayout,
                                 Storage k, long kOffset, Engine.Kernels.Cpu.AttentionLayout kLayout,
                                 Storage v, long vOffset, Engine.Kernels.Cpu.AttentionLayout vLayout,
                                 Storage? mask, long maskOffset, long maskBatchStride, long maskHeadStride, long maskRowStride,
                                 Storage output, long outOffset, Engine.Kernels.Cpu.AttentionLayout outLayout)
        => throw new NotSupportedException("This backend has no strided fused attention.");

    /// <summary>dQ, dK, dV (overwritten) from dOut, recomputing probabilities from logSumExp.</summary>
    void AttentionBackward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
                           Storage q, long qOffset, Storage k, long kOffset, Storage v, long vOffset,
                           Storage? mask, long maskOffset, long maskBatchStride, long maskHeadStride, long maskRowStride,
                           Storage output, long outOffset, Storage logSumExp, long lseOffset, Storage dOut, long dOutOffset,
                           Storage dQ, long dQOffset, Storage dK, long dKOffset, Storage dV, long dVOffset)
        => throw new NotSupportedException("This backend has no fused attention.");

    // ---------------------------------------------------------------- pooling and resampling (planes = N*C)

    /// <summary>Max pooling of contiguous [planes, h, w]; argmax (flat h*w index per output, -1 if the window is empty) into an I32 storage.</summary>
    void MaxPool2d(Storage x, long xOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW,
                   Storage y, long yOffset, Storage argmax);

    /// <summary>gx (zeroed by the caller) += gy routed through argmax.</summary>
    void MaxPool2dBackward(Storage gy, long gyOffset, Storage argmax, int planes, int h, int w, int outH, int outW, Storage gx, long gxOffset);

    /// <summary>Average pooling (PyTorch divisor rules: count_include_pad counts padding up to the padded bound).</summary>
    void AvgPool2d(Storage x, long xOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW,
                   bool countIncludePad, Storage y, long yOffset);

    /// <summary>gx (zeroed by the caller) += adjoint of <see cref="AvgPool2d"/>.</summary>
    void AvgPool2dBackward(Storage gy, long gyOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW,
                           bool countIncludePad, Storage gx, long gxOffset);

    /// <summary>Adaptive average pooling, windows [floor(i*in/out), ceil((i+1)*in/out)).</summary>
    void AdaptiveAvgPool2d(Storage x, long xOffset, int planes, int h, int w, int outH, int outW, Storage y, long yOffset);

    void AdaptiveAvgPool2dBackward(Storage gy, long gyOffset, int planes, int h, int w, int outH, int outW, Storage gx, long gxOffset);

    /// <summary>F.interpolate of contiguous [planes, h, w] to [planes, outH, outW] (PyTorch index and weight rules).</summary>
    void Interpolate2d(InterpolationMode mode, bool alignCorners, Storage x, long xOffset, int planes, int h, int w, int outH, int outW,
                       Storage y, long yOffset);

    /// <summary>gx (zeroed by the caller) += adjoint of <see cref="Interpolate2d"/>.</summary>
    void Interpolate2dBackward(InterpolationMode mode, bool alignCorners, Storage gy, long gyOffset, int planes, int h, int w, int outH, int outW,
                               Storage gx, long gxOffset);

    // ---------------------------------------------------------------- optimisers (in place on parameter and state)

    /// <summary>One AdamW update of n contiguous elements, PyTorch's single-tensor formula with the scalars precomputed
    /// (in double, then rounded) by the caller: p *= decay; m += oneMinusBeta1 (g - m); v = beta2 v + oneMinusBeta2 g g;
    /// p += (-stepSize m) / (sqrt(v) / bc2Sqrt + eps).</summary>
    void AdamWStep(Storage p, long pOffset, Storage g, long gOffset, Storage m, long mOffset, Storage v, long vOffset, long n,
                   float decay, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt);

    /// <summary>SGD with momentum (PyTorch): g += wd p; buf = first ? g : momentum buf + (1-dampening) g;
    /// g = nesterov ? g + momentum buf : buf; p -= lr g. buf may be null when momentum == 0.</summary>
    void SgdStep(Storage p, long pOffset, Storage g, long gOffset, Storage? buf, long bufOffset, long n,
                 float lr, float momentum, float dampening, float weightDecay, bool nesterov, bool firstStep);
}
