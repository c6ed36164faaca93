using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

public enum UnaryOp
{
    Identity, Neg, Exp, Log, Sqrt, Rsqrt, Abs, Square, Tanh, Sigmoid, Relu, Gelu, GeluTanh, QuickGelu,
    /// <summary>x + A.</summary>
    AddScalar,
    /// <summary>x * A.</summary>
    MulScalar,
    /// <summary>A - x.</summary>
    RSubScalar,
    /// <summary>A / x.</summary>
    RDivScalar,
    /// <summary>x ^ A.</summary>
    PowScalar,
    /// <summary>clamp(x, A, B).</summary>
    Clamp,
}

public enum BinaryOp
{
    Add, Sub, Mul, Div, Maximum, Minimum,
    /// <summary>Share of d maximum(a, b) going to a: 1 if a &gt; b, 0.5 if equal, else 0.</summary>
    MaximumGradA,
    /// <summary>Share of d minimum(a, b) going to a: 1 if a &lt; b, 0.5 if equal, else 0.</summary>
    MinimumGradA,
    /// <summary>Elementwise BCE with logits: max(a, 0) - a b + log(1 + exp(-|a|)), a = logit, b = target.</summary>
    BceWithLogits,
}

public struct UnaryParams
{
    public int Op;
    public float A, B;
}

/// <summary>
/// Elementwise kernels: unary ops and activations (forward and backward), broadcasting binary ops over strided
/// operands (forward and backward), sum-to-shape (the inverse of broadcasting), strided copies for every dtype, fill.
/// </summary>
public static class Elementwise
{
    // ---------------------------------------------------------------- device functions

    public static float ApplyUnary(UnaryParams p, float x)
    {
        switch (p.Op)
        {
            case (int)UnaryOp.Identity: return x;
            case (int)UnaryOp.Neg: return -x;
            case (int)UnaryOp.Exp: return GpuMath.Exp(x);
            case (int)UnaryOp.Log: return GpuMath.Log(x);
            case (int)UnaryOp.Sqrt: return MathF.Sqrt(x);
            case (int)UnaryOp.Rsqrt: return 1f / MathF.Sqrt(x);
            case (int)UnaryOp.Abs: return x < 0 ? -x : x;
            case (int)UnaryOp.Square: return x * x;
            case (int)UnaryOp.Tanh: return GpuMath.Tanh(x);
            case (int)UnaryOp.Sigmoid: return GpuMath.Sigmoid(x);
            case (int)UnaryOp.Relu: return x > 0 ? x : 0f;
            case (int)UnaryOp.Gelu: return GpuMath.GeluExact(x);
            case (int)UnaryOp.GeluTanh: return GpuMath.GeluTanh(x);
            case (int)UnaryOp.QuickGelu: return GpuMath.QuickGelu(x);
            case (int)UnaryOp.AddScalar: return x + p.A;
            case (int)UnaryOp.MulScalar: return x * p.A;
            case (int)UnaryOp.RSubScalar: return p.A - x;
            case (int)UnaryOp.RDivScalar: return p.A / x;
            case (int)UnaryOp.PowScalar: return GpuMath.Pow(x, p.A);
            default: return x < p.A ? p.A : (x > p.B ? p.B : x); // Clamp
        }
    }

    /// <summary>d op(x) / dx given x and y = op(x).</summary>
    public static float UnaryDerivative(UnaryParams p, float x, float y)
    {
        switch (p.Op)
        {
            case (int)UnaryOp.Identity: return 1f;
            case (int)UnaryOp.Neg: return -1f;
            case (int)UnaryOp.Exp: return y;
            case (int)UnaryOp.Log: return 1f / x;
            case (int)UnaryOp.Sqrt: return 0.5f / y;
            case (int)UnaryOp.Rsqrt: return -0.5f * y * y * y;
            case (int)UnaryOp.Abs: return x > 0 ? 1f : (x < 0 ? -1f : 0f);
            case (int)UnaryOp.Square: return 2f * x;
            case (int)UnaryOp.Tanh: return 1f - y * y;
            case (int)UnaryOp.Sigmoid: return y * (1f - y);
            case (int)UnaryOp.Relu: return x > 0 ? 1f : 0f;
            case (int)UnaryOp.Gelu: return GpuMath.GeluExactGrad(x);
            case (int)UnaryOp.GeluTanh: return GpuMath.GeluTanhGrad(x);
            case (int)UnaryOp.QuickGelu: return GpuMath.QuickGeluGrad(x);
            case (int)UnaryOp.AddScalar: return 1f;
            case (int)UnaryOp.MulScalar: return p.A;
            case (int)UnaryOp.RSubScalar: return -1f;
            case (int)UnaryOp.RDivScalar: return -p.A / (x * x);
            case (int)UnaryOp.PowScalar: return p.A == 0f ? 0f : p.A * GpuMath.Pow(x, p.A - 1f);
            default: return x >= p.A && x <= p.B ? 1f : 0f; // Clamp (torch: gradient 1 on the closed interval)
        }
    }

    public static float ApplyBinary(int op, float a, float b)
    {
        switch (op)
        {
            case (int)BinaryOp.Add: return a + b;
            case (int)BinaryOp.Sub: return a - b;
            case (int)BinaryOp.Mul: return a * b;
            case (int)BinaryOp.Div: return a / b;
            case (int)BinaryOp.Maximum: return float.IsNaN(a) || float.IsNaN(b) ? float.NaN : (a > b ? a : b);
            case (int)BinaryOp.Minimum: return float.IsNaN(a) || float.IsNaN(b) ? float.NaN : (a < b ? a : b);
            case (int)BinaryOp.MaximumGradA: return a > b ? 1f : (a == b ? 0.5f : 0f);
            case (int)BinaryOp.MinimumGradA: return a < b ? 1f : (a == b ? 0.5f : 0f);
            default: return (a > 0 ? a : 0f) - a * b + GpuMath.Log(1f + GpuMath.Exp(a < 0 ? a : -a)); // BceWithLogits
        }
    }

    // ---------------------------------------------------------------- kernels

    [GpuKernel]
    public static void UnaryKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, UnaryParams p) => y[i] = ApplyUnary(p, x[i]);

    [GpuKernel]
    public static void UnaryBackwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> g, ArrayView<float> gx, UnaryParams p) =>
        gx[i] = g[i] * UnaryDerivative(p, x[i], y[i]);

    [GpuKernel]
    public static void BinaryKernel(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, Layout6 l, int op) =>
        y[i] = ApplyBinary(op, a[Layout6.OffsetA(l, i)], b[Layout6.OffsetB(l, i)]);

    /// <summary>Output-shaped gradients of both operands (SumToShape folds broadcast axes afterwards).
    /// max/min route the gradient to a (ties: half each, as torch.maximum).</summary>
    [GpuKernel]
    public static void BinaryBackwardKernel(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> g,
                                            ArrayView<float> ga, ArrayView<float> gb, Layout6 l, int op)
    {
        float av = a[Layout6.OffsetA(l, i)], bv = b[Layout6.OffsetB(l, i)], gv = g[i];
        float da, db;
        switch (op)
        {
            case (int)BinaryOp.Add: da = gv; db = gv; break;
            case (int)BinaryOp.Sub: da = gv; db = -gv; break;
            case (int)BinaryOp.Mul: da = gv * bv; db = gv * av; break;
            case (int)BinaryOp.Div: da = gv / bv; db = -gv * av / (bv * bv); break;
            case (int)BinaryOp.Maximum: da = av > bv ? gv : (av == bv ? 0.5f * gv : 0f); db = gv - da; break;
            case (int)BinaryOp.Minimum: da = av < bv ? gv : (av == bv ? 0.5f * gv : 0f); db = gv - da; break;
            case (int)BinaryOp.BceWithLogits: da = gv * (GpuMath.Sigmoid(av) - bv); db = -gv * av; break;
            default: da = 0f; db = 0f; break; // the gradient-share ops are not differentiated
        }
        ga[i] = da; gb[i] = db;
    }

    /// <summary>dst[t] = sum of src over the axes where dst has size 1 and src does not. Layout: A strides walk src
    /// over the kept axes (0 on reduced ones), B strides walk src over the reduced axes (0 on kept ones);
    /// D holds the kept sizes, R* the reduced sizes. Thread t sums the reduced elements of chunk t / kept.Count
    /// (<paramref name="chunkLength"/> each) into dst[t]: launched on kept.Count threads with one chunk that is the
    /// result; on several chunks' threads, partial sums for <see cref="Reduce.SumPartials"/>.</summary>
    [GpuKernel]
    public static void SumToShapeKernel(Index1D t, ArrayView<float> src, ArrayView<float> dst, Layout6 kept, Layout6 reduced, int chunkLength)
    {
        int keptCount = (int)kept.Count, chunk = t / keptCount, k = t - chunk * keptCount;
        long baseOff = Layout6.OffsetA(kept, k);
        long r0 = (long)chunk * chunkLength, r1 = r0 + chunkLength;
        if (r1 > reduced.Count) r1 = reduced.Count;
        float acc = 0f;
        for (long r = r0; r < r1; r++) acc += src[baseOff + Layout6.OffsetA(reduced, r)];
        dst[t] = acc;
    }

    [GpuKernel] public static void CopyF32Kernel(Index1D i, ArrayView<float> src, ArrayView<float> dst, Layout6 l) => dst[Layout6.OffsetB(l, i)] = src[Layout6.OffsetA(l, i)];
    [GpuKernel] public static void CopyI32Kernel(Index1D i, ArrayView<int> src, ArrayView<int> dst, Layout6 l) => dst[Layout6.OffsetB(l, i)] = src[Layout6.OffsetA(l, i)];
    [GpuKernel] public static void CopyI64Kernel(Index1D i, ArrayView<long> src, ArrayView<long> dst, Layout6 l) => dst[Layout6.OffsetB(l, i)] = src[Layout6.OffsetA(l, i)];
    [GpuKernel] public static void CopyU8Kernel(Index1D i, ArrayView<byte> src, ArrayView<byte> dst, Layout6 l) => dst[Layout6.OffsetB(l, i)] = src[Layout6.OffsetA(l, i)];

    [GpuKernel] public static void FillKernel(Index1D i, ArrayView<float> y, float value) => y[i] = value;

    /// <summary>y = mask != 0 ? a : b, all three broadcast into y (mask as float; A = mask/a layout, B = b).</summary>
    [GpuKernel]
    public static void WhereKernel(Index1D i, ArrayView<float> mask, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, Layout6 maskAndA, Layout6 bLayout)
    {
        float m = mask[Layout6.OffsetA(maskAndA, i)];
        y[i] = m != 0f ? a[Layout6.OffsetB(maskAndA, i)] : b[Layout6.OffsetA(bLayout, i)];
    }

    // ---------------------------------------------------------------- launch API

    /// <summary>y[i] = op(x[i]) for i &lt; n (contiguous; pass SubViews for offsets).</summary>
    public static void Unary(GpuDevice dev, UnaryOp op, ArrayView<float> x, ArrayView<float> y, long n, float a = 0f, float b = 0f)
    {
        Check.Fits(x, n, "x"); Check.Fits(y, n, "y");
        if (n == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, UnaryParams>(UnaryKernel)(Check.ToInt(n, "elements"), x, y, new UnaryParams { Op = (int)op, A = a, B = b });
    }

    /// <summary>gx[i] = g[i] * op'(x[i]) (y = op(x) from the forward pass).</summary>
    public static void UnaryBackward(GpuDevice dev, UnaryOp op, ArrayView<float> x, ArrayView<float> y, ArrayView<float> g, ArrayView<float> gx, long n, float a = 0f, float b = 0f)
    {
        Check.Fits(x, n, "x"); Check.Fits(y, n, "y"); Check.Fits(g, n, "grad"); Check.Fits(gx, n, "grad_x");
        if (n == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, UnaryParams>(UnaryBackwardKernel)(
            Check.ToInt(n, "elements"), x, y, g, gx, new UnaryParams { Op = (int)op, A = a, B = b });
    }

    /// <summary>y (contiguous, shape <paramref name="outShape"/>) = a op b, where a and b are strided views already
    /// broadcast to outShape (stride 0 on broadcast axes).</summary>
    public static void Binary(GpuDevice dev, BinaryOp op, ReadOnlySpan<int> outShape,
                              ArrayView<float> a, long aOff, ReadOnlySpan<long> aStrides,
                              ArrayView<float> b, long bOff, ReadOnlySpan<long> bStrides, ArrayView<float> y)
    {
        var l = Layout6.Create(outShape, aStrides, aOff, bStrides, bOff);
        Check.Fits(a, l.ExtentA, "a"); Check.Fits(b, l.ExtentB, "b"); Check.Fits(y, l.Count, "y");
        if (l.Count == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, Layout6, int>(BinaryKernel)(Check.ToInt(l.Count, "elements"), a, b, y, l, (int)op);
    }

    /// <summary>Output-shaped (contiguous) gradients of a and b; fold them with <see cref="SumToShape"/>.</summary>
    public static void BinaryBackward(GpuDevice dev, BinaryOp op, ReadOnlySpan<int> outShape,
                                      ArrayView<float> a, long aOff, ReadOnlySpan<long> aStrides,
                                      ArrayView<float> b, long bOff, ReadOnlySpan<long> bStrides,
                                      ArrayView<float> g, ArrayView<float> gaFull, ArrayView<float> gbFull)
    {
        var l = Layout6.Create(outShape, aStrides, aOff, bStrides, bOff);
        Check.Fits(a, l.ExtentA, "a"); Check.Fits(b, l.ExtentB, "b");
        Check.Fits(g, l.Count, "grad"); Check.Fits(gaFull, l.Count, "grad_a"); Check.Fits(gbFull, l.Count, "grad_b");
        if (l.Count == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Layout6, int>(BinaryBackwardKernel)(
            Check.ToInt(l.Count, "elements"), a, b, g, gaFull, gbFull, l, (int)op);
    }

    /// <summary>Sums contiguous <paramref name="src"/> of <paramref name="srcShape"/> down to contiguous
    /// <paramref name="dst"/> of <paramref name="dstShape"/> (right-aligned; each dst axis is 1 or equal).</summary>
    public static void SumToShape(GpuDevice dev, ArrayView<float> src, ReadOnlySpan<int> srcShape, ArrayView<float> dst, ReadOnlySpan<int> dstShape)
    {
        int r = srcShape.Length;
        if (dstShape.Length > r) throw new ArgumentException($"Cannot sum shape [{string.Join(", ", srcShape.ToArray())}] to higher-rank [{string.Join(", ", dstShape.ToArray())}].");
        var srcStrides = Layout6.ContiguousStrides(srcShape);
        var keptShape = new int[r]; var keptStrides = new long[r]; var redShape = new int[r]; var redStrides = new long[r];
        for (int i = 0; i < r; i++)
        {
            int j = i - (r - dstShape.Length);
            int d = j < 0 ? 1 : dstShape[j];
            if (d != srcShape[i] && d != 1) throw new ArgumentException($"Shape [{string.Join(", ", dstShape.ToArray())}] is not a broadcast source of [{string.Join(", ", srcShape.ToArray())}].");
            bool reduce = d == 1 && srcShape[i] != 1;
            keptShape[i] = reduce ? 1 : srcShape[i]; keptStrides[i] = reduce ? 0 : srcStrides[i];
            redShape[i] = reduce ? srcShape[i] : 1; redStrides[i] = reduce ? srcStrides[i] : 0;
        }
        var zeros = new long[r];
        var kept = Layout6.Create(keptShape, keptStrides, 0, zeros, 0);
        var reduced = Layout6.Create(redShape, redStrides, 0, zeros, 0);
        long srcCount = 1; foreach (var s in srcShape) srcCount *= s;
        Check.Fits(src, srcCount, "src"); Check.Fits(dst, kept.Count, "dst"); Check.ToInt(srcCount, "elements");
        if (kept.Count == 0) return;
        var launch = dev.Auto<ArrayView<float>, ArrayView<float>, Layout6, Layout6, int>(SumToShapeKernel);
        int chunks = Reduce.ChunksFor(kept.Count, reduced.Count);
        int chunkLength = (int)((reduced.Count + chunks - 1) / chunks);
        if (chunks == 1) { launch((int)kept.Count, src, dst, kept, reduced, chunkLength); return; }
        using var partial = dev.Rent<float>(chunks * kept.Count);
        launch(chunks * (int)kept.Count, src, partial.View, kept, reduced, chunkLength);
        Reduce.SumPartials(dev, partial.View, chunks, (int)kept.Count, 1f, dst);
    }

    /// <summary>Strided copy of a view of <paramref name="shape"/> (any dtype the engine stores on the device).</summary>
    public static void CopyStrided<T>(GpuDevice dev, ArrayView<T> src, long srcOff, ReadOnlySpan<long> srcStrides, ReadOnlySpan<int> shape,
                                      ArrayView<T> dst, long dstOff, ReadOnlySpan<long> dstStrides) where T : unmanaged
    {
        var l = Layout6.Create(shape, srcStrides, srcOff, dstStrides, dstOff);
        Check.Fits(src, l.ExtentA, "src"); Check.Fits(dst, l.ExtentB, "dst");
        if (l.Count == 0) return;
        int n = Check.ToInt(l.Count, "elements");
        switch (src)
        {
            case ArrayView<float> s: dev.Auto<ArrayView<float>, ArrayView<float>, Layout6>(CopyF32Kernel)(n, s, (ArrayView<float>)(object)dst, l); break;
            case ArrayView<int> s: dev.Auto<ArrayView<int>, ArrayView<int>, Layout6>(CopyI32Kernel)(n, s, (ArrayView<int>)(object)dst, l); break;
            case ArrayView<long> s: dev.Auto<ArrayView<long>, ArrayView<long>, Layout6>(CopyI64Kernel)(n, s, (ArrayView<long>)(object)dst, l); break;
            case ArrayView<byte> s: dev.Auto<ArrayView<byte>, ArrayView<byte>, Layout6>(CopyU8Kernel)(n, s, (ArrayView<byte>)(object)dst, l); break;
            default: throw new NotSupportedException($"Strided copy of {typeof(T).Name} is not supported on the GPU.");
        }
    }

    public static void Fill(GpuDevice dev, ArrayView<float> y, float value)
    {
        if (y.Length == 0) return;
        dev.Auto<ArrayView<float>, float>(FillKernel)(Check.ToInt(y.Length, "elements"), y, value);
    }

    /// <summary>y (contiguous, <paramref name="outShape"/>) = mask != 0 ? a : b with all three strided/broadcast.</summary>
    public static void Where(GpuDevice dev, ReadOnlySpan<int> outShape, ArrayView<float> mask, long maskOff, ReadOnlySpan<long> maskStrides,
                             ArrayView<float> a, long aOff, ReadOnlySpan<long> aStrides, ArrayView<float> b, long bOff, ReadOnlySpan<long> bStrides, ArrayView<float> y)
    {
        var ma = Layout6.Create(outShape, maskStrides, maskOff, aStrides, aOff);
        var lb = Layout6.Create(outShape, bStrides, bOff, bStrides, bOff);
        Check.Fits(mask, ma.ExtentA, "mask"); Check.Fits(a, ma.ExtentB, "a"); Check.Fits(b, lb.ExtentA, "b"); Check.Fits(y, ma.Count, "y");
        if (ma.Count == 0) return;
        dev.Auto<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Layout6, Layout6>(WhereKernel)(Check.ToInt(ma.Count, "elements"), mask, a, b, y, ma, lb);
    }
}
