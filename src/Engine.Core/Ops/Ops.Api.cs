namespace Engine;

public enum InterpolationMode { Nearest, Bilinear, Bicubic }
public enum Reduction { None, Mean, Sum }

// API surface agreed with the model code. Bodies marked NotImplemented are being filled in by the core owner;
// signatures and semantics (PyTorch's, noted per op) are fixed.
public static partial class Ops
{
    private static Exception Todo(string op) => new NotImplementedException($"Op '{op}' is not implemented yet.");

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

}
