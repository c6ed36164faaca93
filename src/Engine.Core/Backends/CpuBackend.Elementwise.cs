using System.Numerics.Tensors;

namespace Engine.Backends;

public sealed partial class CpuBackend
{
    private static float[] F(Storage s) => ((CpuStorage)s).FloatArray;

    /// <summary>The float array behind a CPU storage (for kernels called outside the backend interface).</summary>
    internal static float[] Floats(Storage s) => F(s);

    public void Fill(Storage dst, long dstOffset, long count, float value)
    {
        var d = F(dst);
        CpuParallel.For(count, 1, (s, e) => d.AsSpan((int)(dstOffset + s), (int)(e - s)).Fill(value));
    }

    public void Unary(UnaryOp op, Storage x, long xOffset, Storage y, long yOffset, long n, float alpha, float beta)
    {
        var xa = F(x); var ya = F(y);
        int xo = (int)xOffset, yo = (int)yOffset;
        long cost = op is UnaryOp.Gelu or UnaryOp.GeluTanh ? 20 : op is UnaryOp.QuickGelu or UnaryOp.Exp or UnaryOp.Sigmoid or UnaryOp.Tanh ? 8 : 2;
        CpuParallel.For(n, cost, (s, e) =>
        {
            var xs = new ReadOnlySpan<float>(xa, xo + (int)s, (int)(e - s));
            var ys = new Span<float>(ya, yo + (int)s, (int)(e - s));
            UnaryChunk(op, xs, ys, alpha, beta);
        });
    }

    internal static void UnaryChunk(UnaryOp op, ReadOnlySpan<float> x, Span<float> y, float alpha, float beta)
    {
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
            case UnaryOp.AddScalar: TensorPrimitives.Add(x, alpha, y); break;
            case UnaryOp.MulScalar: TensorPrimitives.Multiply(x, alpha, y); break;
            case UnaryOp.RSub: TensorPrimitives.Subtract(alpha, x, y); break;
            case UnaryOp.RDiv: TensorPrimitives.Divide(alpha, x, y); break;
            case UnaryOp.Pow:
                if (alpha == 2f) TensorPrimitives.Multiply(x, x, y);
                else if (alpha == 1f) x.CopyTo(y);
                else if (alpha == 0.5f) TensorPrimitives.Sqrt(x, y);
                else for (int i = 0; i < x.Length; i++) y[i] = MathF.Pow(x[i], alpha);
                break;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
            case UnaryOp.Rsqrt: for (int i = 0; i < x.Length; i++) y[i] = 1f / MathF.Sqrt(x[i]); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(x, y); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, y); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(x, y); break;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
            // max(x, 0) but NaN stays NaN (torch.relu propagates NaN).
            case UnaryOp.Relu: VectorMath.Relu(x, y); break;
            // Bit-identical to ScalarMath.Gelu (same double-precision table step, vectorised).
            case UnaryOp.Gelu: VectorMath.Gelu(x, y); break;
            case UnaryOp.GeluTanh: for (int i = 0; i < x.Length; i++) y[i] = ScalarMath.GeluTanh(x[i]); break;
            // y = x * sigmoid(1.702 x); each vector of x is read before the same positions of y are written, so in place is safe.
            case UnaryOp.QuickGelu: VectorMath.QuickGelu(x, y); break;
            case UnaryOp.Clamp:
                for (int i = 0; i < x.Length; i++) { float v = x[i]; y[i] = float.IsNaN(v) ? v : MathF.Min(MathF.Max(v, alpha), beta); }
                break;
            default: throw new NotSupportedException($"Unary op {op}.");
        }
    }

    public void UnaryBackward(UnaryOp op, Storage x, long xOffset, Storage y, long yOffset, Storage gy, long gyOffset,
                              Storage gx, long gxOffset, long n, float alpha, float beta)
    {
        var xa = F(x); var ya = F(y); var ga = F(gy); var oa = F(gx);
        int xo = (int)xOffset, yo = (int)yOffset, go = (int)gyOffset, oo = (int)gxOffset;
        CpuParallel.For(n, op is UnaryOp.Gelu ? 40 : 4, (s, e) =>
        {
            int len = (int)(e - s);
            var xs = new ReadOnlySpan<float>(xa, xo + (int)s, len);
            var ys = new ReadOnlySpan<float>(ya, yo + (int)s, len);
            var gs = new ReadOnlySpan<float>(ga, go + (int)s, len);
            var os = new Span<float>(oa, oo + (int)s, len);
            UnaryBackwardChunk(op, xs, ys, gs, os, alpha, beta);
        });
    }

    private static void UnaryBackwardChunk(UnaryOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> o, float alpha, float beta)
    {
        int n = x.Length;
        switch (op)
        {
            case UnaryOp.Neg: case UnaryOp.RSub: TensorPrimitives.Negate(g, o); break;
            case UnaryOp.AddScalar: g.CopyTo(o); break;
            case UnaryOp.MulScalar: TensorPrimitives.Multiply(g, alpha, o); break;
            case UnaryOp.RDiv: for (int i = 0; i < n; i++) o[i] = -g[i] * y[i] / x[i]; break;
            case UnaryOp.Pow:
                // torch: grad * exponent * x^(exponent-1), and 0 where exponent == 0.
                if (alpha == 0f) o.Clear();
                else for (int i = 0; i < n; i++) o[i] = g[i] * alpha * MathF.Pow(x[i], alpha - 1f);
                break;
            case UnaryOp.Exp: TensorPrimitives.Multiply(g, y, o); break;
            case UnaryOp.Log: TensorPrimitives.Divide(g, x, o); break;
            case UnaryOp.Sqrt: for (int i = 0; i < n; i++) o[i] = g[i] / (2f * y[i]); break;
            case UnaryOp.Rsqrt: for (int i = 0; i < n; i++) { float r = y[i]; o[i] = -0.5f * g[i] * r * r * r; } break;
            case UnaryOp.Abs: for (int i = 0; i < n; i++) { float v = x[i]; o[i] = v > 0 ? g[i] : v < 0 ? -g[i] : 0f; } break;
            case UnaryOp.Square: for (int i = 0; i < n; i++) o[i] = 2f * x[i] * g[i]; break;
            case UnaryOp.Tanh: VectorMath.TanhGrad(y, g, o); break;
            case UnaryOp.Sigmoid: VectorMath.SigmoidGrad(y, g, o); break;
            case UnaryOp.Relu: VectorMath.ReluGrad(x, g, o); break;
            case UnaryOp.Gelu: for (int i = 0; i < n; i++) o[i] = g[i] * ScalarMath.GeluGrad(x[i]); break;
            case UnaryOp.GeluTanh: for (int i = 0; i < n; i++) o[i] = g[i] * ScalarMath.GeluTanhGrad(x[i]); break;
            case UnaryOp.QuickGelu: VectorMath.QuickGeluGrad(x, g, o); break;
            case UnaryOp.Clamp:
                // torch passes the gradient where min <= x <= max (inclusive bounds).
                for (int i = 0; i < n; i++) { float v = x[i]; o[i] = v >= alpha && v <= beta ? g[i] : 0f; }
                break;
            default: throw new NotSupportedException($"Unary op {op}.");
        }
    }

    public void Binary(BinaryOp op, Storage a, long aOffset, ReadOnlySpan<long> aStrides, Storage b, long bOffset, ReadOnlySpan<long> bStrides,
                       ReadOnlySpan<int> shape, Storage y, long yOffset)
    {
        var aa = F(a); var ba = F(b); var ya = F(y);
        var layout = StridedLayout.Coalesce(shape, aStrides, bStrides, default);
        long total = Shape.Numel(shape);
        if (total == 0) return;
        int inner = layout.Inner;
        long rows = total / inner;
        long sa = layout.InnerStride(0), sb = layout.InnerStride(1);
        if (rows < CpuParallel.Workers * 2L && inner >= 2 * CpuParallel.SerialThreshold)
        {
            // Few long rows (e.g. two same-shape contiguous tensors coalesce into one row): split inside the rows.
            CpuParallel.For(total, 2, (s0, s1) =>
            {
                long r = s0 / inner, end = s1;
                for (long p = s0; p < end; r++)
                {
                    long rowEnd = Math.Min(end, (r + 1) * inner);
                    int i0 = (int)(p - r * inner), len = (int)(rowEnd - p);
                    layout.RowOffsets(r, out long oa, out long ob, out _);
                    var ySpan = new Span<float>(ya, (int)(yOffset + p), len);
                    BinaryRow(op, aa, aOffset + oa + i0 * sa, sa, ba, bOffset + ob + i0 * sb, sb, ySpan);
                    p = rowEnd;
                }
            });
            return;
        }
        CpuParallel.For(rows, inner * 2L, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                layout.RowOffsets(r, out long oa, out long ob, out _);
                var yRow = new Span<float>(ya, (int)(yOffset + r * inner), inner);
                BinaryRow(op, aa, aOffset + oa, sa, ba, bOffset + ob, sb, yRow);
            }
        });
    }

    private static void BinaryRow(BinaryOp op, float[] a, long ao, long sa, float[] b, long bo, long sb, Span<float> y)
    {
        int n = y.Length;
        if (sa == 1 && sb == 1 && op <= BinaryOp.Minimum)
        {
            var x1 = new ReadOnlySpan<float>(a, (int)ao, n); var x2 = new ReadOnlySpan<float>(b, (int)bo, n);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x1, x2, y); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x1, x2, y); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x1, x2, y); return;
                case BinaryOp.Div: TensorPrimitives.Divide(x1, x2, y); return;
                case BinaryOp.Maximum: TensorPrimitives.Max(x1, x2, y); return;
                case BinaryOp.Minimum: TensorPrimitives.Min(x1, x2, y); return;
            }
        }
        if (sa == 1 && sb == 0 && op <= BinaryOp.Minimum)
        {
            var x1 = new ReadOnlySpan<float>(a, (int)ao, n); float s = b[bo];
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x1, s, y); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x1, s, y); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x1, s, y); return;
                case BinaryOp.Div: TensorPrimitives.Divide(x1, s, y); return;
                case BinaryOp.Maximum: TensorPrimitives.Max(x1, s, y); return;
                case BinaryOp.Minimum: TensorPrimitives.Min(x1, s, y); return;
            }
        }
        if (sa == 0 && sb == 1 && op <= BinaryOp.Minimum)
        {
            float s = a[ao]; var x2 = new ReadOnlySpan<float>(b, (int)bo, n);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x2, s, y); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(s, x2, y); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x2, s, y); return;
                case BinaryOp.Div: TensorPrimitives.Divide(s, x2, y); return;
                case BinaryOp.Maximum: TensorPrimitives.Max(x2, s, y); return;
                case BinaryOp.Minimum: TensorPrimitives.Min(x2, s, y); return;
            }
        }
        for (int i = 0; i < n; i++)
            y[i] = BinaryScalar(op, a[ao + i * sa], b[bo + i * sb]);
    }

    private static float BinaryScalar(BinaryOp op, float x, float z) => op switch
    {
        BinaryOp.Add => x + z,
        BinaryOp.Sub => x - z,
        BinaryOp.Mul => x * z,
        BinaryOp.Div => x / z,
        BinaryOp.Maximum => float.IsNaN(x) || float.IsNaN(z) ? float.NaN : MathF.Max(x, z),
        BinaryOp.Minimum => float.IsNaN(x) || float.IsNaN(z) ? float.NaN : MathF.Min(x, z),
        BinaryOp.MaximumGradA => x > z ? 1f : x == z ? 0.5f : 0f,
        BinaryOp.MinimumGradA => x < z ? 1f : x == z ? 0.5f : 0f,
        BinaryOp.BceWithLogits => MathF.Max(x, 0f) - x * z + MathF.Log(1f + MathF.Exp(-MathF.Abs(x))),
        _ => throw new NotSupportedException($"Binary op {op}."),
    };

    public void Where(Storage cond, long cOffset, ReadOnlySpan<long> cStrides, Storage a, long aOffset, ReadOnlySpan<long> aStrides,
                      Storage b, long bOffset, ReadOnlySpan<long> bStrides, ReadOnlySpan<int> shape, Storage y, long yOffset)
    {
        var ca = F(cond); var aa = F(a); var ba = F(b); var ya = F(y);
        var layout = StridedLayout.Coalesce(shape, aStrides, bStrides, cStrides);
        long total = Shape.Numel(shape);
        if (total == 0) return;
        int inner = layout.Inner;
        long rows = total / inner;
        long sa = layout.InnerStride(0), sb = layout.InnerStride(1), sc = layout.InnerStride(2);
        CpuParallel.For(rows, inner * 2L, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                layout.RowOffsets(r, out long oa, out long ob, out long oc);
                long ao = aOffset + oa, bo = bOffset + ob, co = cOffset + oc, yo = yOffset + r * inner;
                for (int i = 0; i < inner; i++)
                    ya[yo + i] = ca[co + i * sc] != 0f ? aa[ao + i * sa] : ba[bo + i * sb];
            }
        });
    }
}

/// <summary>Iteration plan for up to three strided operands over a shape written contiguously: size-1 axes dropped
/// and adjacent axes merged where every operand allows it, so the innermost run is as long as possible.</summary>
internal sealed class StridedLayout
{
    private readonly int[] _dims;       // outer dims (all but the innermost), coalesced
    private readonly long[][] _strides; // per operand: strides of every coalesced dim (innermost last)
    public int Inner { get; }

    private StridedLayout(int[] dims, long[][] strides, int inner) { _dims = dims; _strides = strides; Inner = inner; }

    public long InnerStride(int operand) => _strides[operand][^1];

    public static StridedLayout Coalesce(ReadOnlySpan<int> shape, ReadOnlySpan<long> s0, ReadOnlySpan<long> s1, ReadOnlySpan<long> s2)
    {
        int ops = s2.IsEmpty ? 2 : 3;
        var dims = new List<int>();
        var st = new List<long>[] { new(), new(), new() };
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            long a = s0[i], b = s1[i], c = ops == 3 ? s2[i] : 0;
            if (dims.Count > 0)
            {
                int d = dims[^1];
                // merge (prev, i) when prev stride == stride_i * size_i for every operand
                if (st[0][^1] == a * shape[i] && st[1][^1] == b * shape[i] && (ops == 2 || st[2][^1] == c * shape[i]))
                {
                    dims[^1] = d * shape[i];
                    st[0][^1] = a; st[1][^1] = b; st[2][^1] = c;
                    continue;
                }
            }
            dims.Add(shape[i]); st[0].Add(a); st[1].Add(b); st[2].Add(c);
        }
        if (dims.Count == 0) { dims.Add(1); st[0].Add(0); st[1].Add(0); st[2].Add(0); }
        int inner = dims[^1];
        return new StridedLayout(dims.ToArray(), new[] { st[0].ToArray(), st[1].ToArray(), st[2].ToArray() }, inner);
    }

    /// <summary>Offsets of row r (all outer dims) for each operand.</summary>
    public void RowOffsets(long r, out long o0, out long o1, out long o2)
    {
        o0 = 0; o1 = 0; o2 = 0;
        for (int d = _dims.Length - 2; d >= 0; d--)
        {
            long i = r % _dims[d]; r /= _dims[d];
            o0 += i * _strides[0][d]; o1 += i * _strides[1][d]; o2 += i * _strides[2][d];
        }
    }
}
