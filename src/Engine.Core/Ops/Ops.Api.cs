namespace Engine;

public enum InterpolationMode { Nearest, Bilinear, Bicubic }
public enum Reduction { None, Mean, Sum }

// API surface agreed with the model code. Bodies marked NotImplemented are being filled in by the core owner;
// signatures and semantics (PyTorch's, noted per op) are fixed.
public static partial class Ops
{
    private static Exception Todo(string op) => new NotImplementedException($"Op '{op}' is not implemented yet.");

    // ---- shape / reduction helpers
    /// <summary>Sums a broadcast gradient back to <paramref name="shape"/> (inverse of broadcasting).</summary>
    public static Tensor SumToShape(Tensor g, int[] shape) => throw Todo(nameof(SumToShape));

    // ---- elementwise, broadcasting (torch semantics)
    public static Tensor Add(Tensor a, Tensor b) => throw Todo(nameof(Add));
    public static Tensor Sub(Tensor a, Tensor b) => throw Todo(nameof(Sub));
    public static Tensor Mul(Tensor a, Tensor b) => throw Todo(nameof(Mul));
    public static Tensor Div(Tensor a, Tensor b) => throw Todo(nameof(Div));
    public static Tensor Maximum(Tensor a, Tensor b) => throw Todo(nameof(Maximum));
    public static Tensor Minimum(Tensor a, Tensor b) => throw Todo(nameof(Minimum));
    public static Tensor Add(Tensor a, float s) => throw Todo(nameof(Add));
    public static Tensor Mul(Tensor a, float s) => throw Todo(nameof(Mul));
    /// <summary>s - a.</summary>
    public static Tensor RSub(float s, Tensor a) => throw Todo(nameof(RSub));
    /// <summary>s / a.</summary>
    public static Tensor RDiv(float s, Tensor a) => throw Todo(nameof(RDiv));
    public static Tensor Pow(Tensor a, float exponent) => throw Todo(nameof(Pow));
    public static Tensor Neg(Tensor a) => throw Todo(nameof(Neg));
    public static Tensor Exp(Tensor a) => throw Todo(nameof(Exp));
    public static Tensor Log(Tensor a) => throw Todo(nameof(Log));
    public static Tensor Sqrt(Tensor a) => throw Todo(nameof(Sqrt));
    public static Tensor Rsqrt(Tensor a) => throw Todo(nameof(Rsqrt));
    public static Tensor Abs(Tensor a) => throw Todo(nameof(Abs));
    public static Tensor Square(Tensor a) => throw Todo(nameof(Square));
    public static Tensor Tanh(Tensor a) => throw Todo(nameof(Tanh));
    public static Tensor Sigmoid(Tensor a) => throw Todo(nameof(Sigmoid));
    public static Tensor Relu(Tensor a) => throw Todo(nameof(Relu));
    /// <summary>Exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)).</summary>
    public static Tensor Gelu(Tensor a) => throw Todo(nameof(Gelu));
    /// <summary>GELU, tanh approximation.</summary>
    public static Tensor GeluTanh(Tensor a) => throw Todo(nameof(GeluTanh));
    /// <summary>x * sigmoid(1.702 x) (OpenAI CLIP).</summary>
    public static Tensor QuickGelu(Tensor a) => throw Todo(nameof(QuickGelu));
    public static Tensor Clamp(Tensor a, float min, float max) => throw Todo(nameof(Clamp));
    /// <summary>mask ? a : b (mask: Bool/U8 or float != 0), broadcasting.</summary>
    public static Tensor Where(Tensor mask, Tensor a, Tensor b) => throw Todo(nameof(Where));
    public static Tensor MaskedFill(Tensor a, Tensor mask, float value) => throw Todo(nameof(MaskedFill));

    // ---- linear algebra
    /// <summary>torch.matmul for rank >= 2 with broadcast batch dims; optional transposes of the last two axes.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false) => throw Todo(nameof(MatMul));
    /// <summary>x @ w^T + b with PyTorch layout w [out, in]; x [..., in].</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? b = null) => throw Todo(nameof(Linear));

    // ---- normalisation, softmax
    public static Tensor Softmax(Tensor x, int axis) => throw Todo(nameof(Softmax));
    public static Tensor LogSoftmax(Tensor x, int axis) => throw Todo(nameof(LogSoftmax));
    /// <summary>LayerNorm over the last axis (biased variance), optional affine.</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps) => throw Todo(nameof(LayerNorm));
    /// <summary>BatchNorm over axis 1 of [N, C, ...]. Training: batch statistics (biased for normalising, unbiased for
    /// the running update with <paramref name="momentum"/>), running stats updated in place. Eval: running stats.</summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training, float momentum, float eps) => throw Todo(nameof(BatchNorm));
    /// <summary>x / max(||x||_2, eps) along an axis.</summary>
    public static Tensor L2Normalize(Tensor x, int axis, float eps = 1e-12f) => throw Todo(nameof(L2Normalize));

    // ---- convolution, pooling, resampling (NCHW; weights in PyTorch layout)
    /// <summary>w [Cout, Cin/groups, kh, kw].</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups = 1) => throw Todo(nameof(Conv2d));
    /// <summary>w [Cin, Cout/groups, kh, kw]; out = (in-1)*stride - 2*pad + dil*(k-1) + outPad + 1.</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor w, Tensor? b, (int h, int w) stride, (int h, int w) padding, (int h, int w) outputPadding, int groups = 1, (int h, int w)? dilation = null) => throw Todo(nameof(ConvTranspose2d));
    public static Tensor MaxPool2d(Tensor x, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding, bool ceilMode = false) => throw Todo(nameof(MaxPool2d));
    public static Tensor AvgPool2d(Tensor x, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding, bool ceilMode = false, bool countIncludePad = true) => throw Todo(nameof(AvgPool2d));
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW) => throw Todo(nameof(AdaptiveAvgPool2d));
    /// <summary>F.interpolate on [N, C, H, W] (no antialias); bicubic uses a = -0.75 and clamped taps, exactly as PyTorch.</summary>
    public static Tensor Interpolate(Tensor x, int outH, int outW, InterpolationMode mode, bool alignCorners = false) => throw Todo(nameof(Interpolate));
    /// <summary>Constant padding of the last two axes: (left, right, top, bottom).</summary>
    public static Tensor Pad2d(Tensor x, int left, int right, int top, int bottom, float value = 0f) => throw Todo(nameof(Pad2d));

    // ---- indexing, joining
    /// <summary>weight [V, D], ids I64/I32 of any shape -> [..., D]. An id outside [0, V) is an error naming it.</summary>
    public static Tensor Embedding(Tensor weight, Tensor ids) => throw Todo(nameof(Embedding));
    public static Tensor Cat(IReadOnlyList<Tensor> xs, int axis) => throw Todo(nameof(Cat));
    public static Tensor Stack(IReadOnlyList<Tensor> xs, int axis) => throw Todo(nameof(Stack));
    public static Tensor[] Split(Tensor x, int[] sizes, int axis) => throw Todo(nameof(Split));
    /// <summary>torch.gather: out[i][j] = x[i][index[i][j]] along axis; index I64/I32.</summary>
    public static Tensor Gather(Tensor x, int axis, Tensor index) => throw Todo(nameof(Gather));
    public static Tensor IndexSelect(Tensor x, int axis, Tensor index) => throw Todo(nameof(IndexSelect));

    // ---- reductions
    public static Tensor Sum(Tensor x) => throw Todo(nameof(Sum));
    public static Tensor Sum(Tensor x, int axis, bool keepDim = false) => throw Todo(nameof(Sum));
    public static Tensor Mean(Tensor x) => throw Todo(nameof(Mean));
    public static Tensor Mean(Tensor x, int axis, bool keepDim = false) => throw Todo(nameof(Mean));
    /// <summary>Max values (differentiable, gradient to the first maximum) and their indices (I64).</summary>
    public static (Tensor values, Tensor indices) Max(Tensor x, int axis, bool keepDim = false) => throw Todo(nameof(Max));
    public static Tensor ArgMax(Tensor x, int axis, bool keepDim = false) => throw Todo(nameof(ArgMax));

    // ---- regularisation, attention, losses
    /// <summary>Inverted dropout; identity when not training or p == 0.</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Random rng) => throw Todo(nameof(Dropout));
    /// <summary>softmax(q k^T * scale + mask) v on [B, H, T, D]. mask: additive float, broadcastable to [B, H, Tq, Tk];
    /// causal adds the upper-triangular -inf. scale defaults to D^-0.5. Fused (online softmax) on every backend.</summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = false, float? scale = null) => throw Todo(nameof(ScaledDotProductAttention));
    public static Tensor BceWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean) => throw Todo(nameof(BceWithLogits));
    /// <summary>logits [N, C] (or [N, C, ...]), targets I64 class ids.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean) => throw Todo(nameof(CrossEntropy));
    /// <summary>1 - (2 sum(p t) + smooth) / (sum p + sum t + smooth) per sample (p = sigmoid(logits), sums over all
    /// non-batch axes), averaged over the batch.</summary>
    public static Tensor SoftDiceLoss(Tensor logits, Tensor target, float smooth = 1f) => throw Todo(nameof(SoftDiceLoss));
}
