using Engine.Kernels.Gpu;
using K = Engine.Kernels.Gpu;

namespace Engine.Backends.Ilgpu;

public sealed partial class IlgpuBackend
{
    public void Softmax(Storage x, long xOffset, int rows, int n, bool log, Storage y, long yOffset) =>
        K.Softmax.Forward(Gpu, F(x, xOffset, "x"), F(y, yOffset, "y"), new AxisShape { Outer = rows, N = n, Inner = 1 }, log);

    public void SoftmaxBackward(Storage y, long yOffset, Storage gy, long gyOffset, int rows, int n, bool log, Storage gx, long gxOffset) =>
        K.Softmax.Backward(Gpu, F(y, yOffset, "y"), F(gy, gyOffset, "gy"), F(gx, gxOffset, "gx"), new AxisShape { Outer = rows, N = n, Inner = 1 }, log);

    public void LayerNorm(Storage x, long xOffset, Storage? weight, long wOffset, Storage? bias, long bOffset, int rows, int n, float eps,
                          Storage y, long yOffset, Storage mean, Storage rstd) =>
        K.LayerNorm.Forward(Gpu, F(x, xOffset, "x"), weight == null ? default : F(weight, wOffset, "weight"), bias == null ? default : F(bias, bOffset, "bias"),
                            F(y, yOffset, "y"), F(mean, "mean"), F(rstd, "rstd"), rows, n, eps);

    public void LayerNormBackward(Storage x, long xOffset, Storage? weight, long wOffset, Storage gy, long gyOffset, Storage mean, Storage rstd,
                                  int rows, int n, Storage gx, long gxOffset, Storage? gw, Storage? gb) =>
        K.LayerNorm.Backward(Gpu, F(x, xOffset, "x"), weight == null ? default : F(weight, wOffset, "weight"), F(gy, gyOffset, "gy"), F(mean, "mean"), F(rstd, "rstd"),
                             F(gx, gxOffset, "gx"), gw == null ? default : F(gw, "gw"), gb == null ? default : F(gb, "gb"), rows, n);

    public void ChannelStats(Storage x, long xOffset, int batch, int channels, int spatial, Storage mean, Storage var) =>
        ChannelOps.Stats(Gpu, F(x, xOffset, "x"), new ChannelOps.Shape { Batch = batch, Channels = channels, Spatial = spatial }, F(mean, "mean"), F(var, "var"));

    public void ChannelAffine(Storage x, long xOffset, int batch, int channels, int spatial, Storage scale, Storage shift, Storage y, long yOffset) =>
        ChannelOps.Affine(Gpu, F(x, xOffset, "x"), new ChannelOps.Shape { Batch = batch, Channels = channels, Spatial = spatial }, F(scale, "scale"), F(shift, "shift"), F(y, yOffset, "y"));

    public void ChannelGradSums(Storage x, long xOffset, Storage gy, long gyOffset, int batch, int channels, int spatial, Storage sumGy, Storage sumGyX) =>
        ChannelOps.GradSums(Gpu, F(x, xOffset, "x"), F(gy, gyOffset, "gy"), new ChannelOps.Shape { Batch = batch, Channels = channels, Spatial = spatial }, F(sumGy, "sumGy"), F(sumGyX, "sumGyX"));

    public void IndexSelect(Storage x, long xOffset, int outer, int n, int inner, ReadOnlySpan<int> index, Storage y, long yOffset)
    {
        using var idx = Indexing.UploadIndices(Gpu, index, n, "IndexSelect");
        Indexing.IndexSelect(Gpu, F(x, xOffset, "x"), idx.View, F(y, yOffset, "y"), new Indexing.Shape { Outer = outer, N = n, Inner = inner, M = index.Length });
    }

    public void IndexAdd(Storage g, long gOffset, int outer, int n, int inner, ReadOnlySpan<int> index, Storage gx, long gxOffset)
    {
        using var idx = Indexing.UploadIndices(Gpu, index, n, "IndexAdd");
        Indexing.IndexAdd(Gpu, F(g, gOffset, "g"), idx.View, F(gx, gxOffset, "gx"), new Indexing.Shape { Outer = outer, N = n, Inner = inner, M = index.Length });
    }

    public void Gather(Storage x, long xOffset, int outer, int n, int inner, ReadOnlySpan<int> index, int m, Storage y, long yOffset)
    {
        using var idx = Indexing.UploadIndices(Gpu, index, n, "Gather");
        Indexing.Gather(Gpu, F(x, xOffset, "x"), idx.View, F(y, yOffset, "y"), new Indexing.Shape { Outer = outer, N = n, Inner = inner, M = m });
    }

    public void ScatterAdd(Storage g, long gOffset, int outer, int n, int inner, ReadOnlySpan<int> index, int m, Storage gx, long gxOffset)
    {
        using var idx = Indexing.UploadIndices(Gpu, index, n, "ScatterAdd");
        Indexing.ScatterAdd(Gpu, F(g, gOffset, "g"), idx.View, F(gx, gxOffset, "gx"), new Indexing.Shape { Outer = outer, N = n, Inner = inner, M = m });
    }

    private static ConvGeometry Geometry(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int outH, int outW) => new()
    {
        C = c, H = h, W = w, OC = 1, OH = outH, OW = outW, KH = kh, KW = kw, SH = sh, SW = sw, PH = ph, PW = pw, DH = dh, DW = dw, Groups = 1,
    };

    public void Im2Col(Storage x, long xOffset, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                       int outH, int outW, Storage col, long colOffset) =>
        Conv.Im2colImage(Gpu, F(x, "x"), xOffset, Geometry(c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, outH, outW), F(col, colOffset, "col"));

    public void Col2Im(Storage col, long colOffset, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                       int outH, int outW, Storage x, long xOffset) =>
        Conv.Col2imImage(Gpu, F(col, colOffset, "col"), Geometry(c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, outH, outW), F(x, "x"), xOffset, accumulate: true);

    private static PoolGeometry Pool(int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW, bool countIncludePad) => new()
    {
        Planes = planes, H = h, W = w, OH = outH, OW = outW, KH = kh, KW = kw, SH = sh, SW = sw, PH = ph, PW = pw, CountIncludePad = countIncludePad ? 1 : 0,
    };

    public void MaxPool2d(Storage x, long xOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW,
                          Storage y, long yOffset, Storage argmax) =>
        K.Pool.MaxForward(Gpu, Pool(planes, h, w, kh, kw, sh, sw, ph, pw, outH, outW, true), F(x, xOffset, "x"), F(y, yOffset, "y"), S(argmax, "argmax").Ints);

    public void MaxPool2dBackward(Storage gy, long gyOffset, Storage argmax, int planes, int h, int w, int outH, int outW, Storage gx, long gxOffset) =>
        K.Pool.MaxBackward(Gpu, Pool(planes, h, w, 1, 1, 1, 1, 0, 0, outH, outW, true), F(gy, gyOffset, "gy"), S(argmax, "argmax").Ints, F(gx, gxOffset, "gx"), zeroFirst: false);

    public void AvgPool2d(Storage x, long xOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW,
                          bool countIncludePad, Storage y, long yOffset) =>
        K.Pool.AvgForward(Gpu, Pool(planes, h, w, kh, kw, sh, sw, ph, pw, outH, outW, countIncludePad), F(x, xOffset, "x"), F(y, yOffset, "y"));

    public void AvgPool2dBackward(Storage gy, long gyOffset, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int outH, int outW,
                                  bool countIncludePad, Storage gx, long gxOffset) =>
        K.Pool.AvgBackward(Gpu, Pool(planes, h, w, kh, kw, sh, sw, ph, pw, outH, outW, countIncludePad), F(gy, gyOffset, "gy"), F(gx, gxOffset, "gx"), zeroFirst: false);

    public void AdaptiveAvgPool2d(Storage x, long xOffset, int planes, int h, int w, int outH, int outW, Storage y, long yOffset) =>
        K.Pool.AdaptiveAvgForward(Gpu, K.Pool.Adaptive(planes, h, w, outH, outW), F(x, xOffset, "x"), F(y, yOffset, "y"));

    public void AdaptiveAvgPool2dBackward(Storage gy, long gyOffset, int planes, int h, int w, int outH, int outW, Storage gx, long gxOffset) =>
        K.Pool.AdaptiveAvgBackward(Gpu, K.Pool.Adaptive(planes, h, w, outH, outW), F(gy, gyOffset, "gy"), F(gx, gxOffset, "gx"), zeroFirst: false);

    private static InterpMode Map(InterpolationMode mode) => mode switch
    {
        InterpolationMode.Nearest => InterpMode.Nearest, InterpolationMode.Bilinear => InterpMode.Bilinear, InterpolationMode.Bicubic => InterpMode.Bicubic,
        _ => throw new NotSupportedException($"Interpolation mode {mode}."),
    };

    public void Interpolate2d(InterpolationMode mode, bool alignCorners, Storage x, long xOffset, int planes, int h, int w, int outH, int outW,
                              Storage y, long yOffset) =>
        K.Interpolate.Forward(Gpu, K.Interpolate.Create(planes, h, w, outH, outW, Map(mode), alignCorners), F(x, xOffset, "x"), F(y, yOffset, "y"));

    public void Interpolate2dBackward(InterpolationMode mode, bool alignCorners, Storage gy, long gyOffset, int planes, int h, int w, int outH, int outW,
                                      Storage gx, long gxOffset) =>
        K.Interpolate.Backward(Gpu, K.Interpolate.Create(planes, h, w, outH, outW, Map(mode), alignCorners), F(gy, gyOffset, "gy"), F(gx, gxOffset, "gx"), zeroFirst: false);

    public void AdamWStep(Storage p, long pOffset, Storage g, long gOffset, Storage m, long mOffset, Storage v, long vOffset, long n,
                          float decay, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt) =>
        OptimizerSteps.AdamW(Gpu, F(p, pOffset, "param"), F(g, gOffset, "grad"), F(m, mOffset, "exp_avg"), F(v, vOffset, "exp_avg_sq"), n,
            new OptimizerSteps.AdamWScalars { Decay = decay, OneMinusBeta1 = oneMinusBeta1, Beta2 = beta2, OneMinusBeta2 = oneMinusBeta2, Eps = eps, StepSize = stepSize, Bc2Sqrt = bc2Sqrt });

    public void SgdStep(Storage p, long pOffset, Storage g, long gOffset, Storage? buf, long bufOffset, long n,
                        float lr, float momentum, float dampening, float weightDecay, bool nesterov, bool firstStep) =>
        OptimizerSteps.Sgd(Gpu, F(p, pOffset, "param"), F(g, gOffset, "grad"), buf == null ? default : F(buf, bufOffset, "momentum_buffer"), n,
            new OptimizerSteps.SgdScalars { Lr = lr, Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov ? 1 : 0, FirstStep = firstStep ? 1 : 0, HasBuffer = buf == null ? 0 : 1 });
}
