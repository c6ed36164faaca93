using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Engine.Backends;
using Engine.Kernels.Cpu;

namespace Engine;

/// <summary>The epilogue of an inference Linear with a packed weight, run by the GEMM on each finished block of the
/// output: y = activation(y + bias) + residual. The activation is the same CPU kernel the elementwise op uses
/// (<see cref="CpuBackend.UnaryChunk"/>), so fused and unfused layers differ only in where the bias is rounded in.</summary>
internal readonly unsafe struct LinearEpilogue : IGemmEpilogue
{
    private readonly float* _bias;
    private readonly float* _residual;
    private readonly int _ldResidual;
    private readonly UnaryOp _activation;
    private readonly bool _activate;

    private LinearEpilogue(float* bias, UnaryOp? activation, float* residual, int ldResidual)
    {
        _bias = bias; _residual = residual; _ldResidual = ldResidual;
        _activate = activation.HasValue; _activation = activation.GetValueOrDefault();
    }

    /// <summary>Without an activation or with ReLU, the micro-kernel applies the bias, ReLU and residual to its
    /// accumulators as it stores them (<see cref="Apply(Vector256{float}, int, int)"/>: the same vector operations as
    /// <see cref="OnePass"/>), instead of reading the finished tile back. Measured on cold-weight products at 485 rows
    /// (2 threads, interleaved against the stored-tile form): the ViT's 768-deep products with bias + residual +0.6 to
    /// +4.7 % (mean +3.0 %, 6 runs), bias alone -0.5 to +3.4 % (mean +1.1 %); CLIPSeg's decoder at K = 64, where a
    /// tile's product is short, bias + ReLU +9 to +11 % and bias + residual +12 to +22 % (3 runs). QuickGELU stays on
    /// the stored tile: its exponential inlined twelve times into every micro-kernel instantiation (a harness copy)
    /// measured -0.4 % (the 6-row kernel grew from 1.2 to 8.3 KB of machine code).</summary>
    public bool InRegisters => VectorMath.Fast && (!_activate || _activation == UnaryOp.Relu);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(Vector256<float> v, int row, int col)
    {
        if (_bias != null) v += Vector256.Load(_bias + col);
        // Not Step: its Activate would compile the QuickGELU branch into every micro-kernel instantiation, and
        // InRegisters lets only ReLU come here.
        if (_activate) v = VectorMath.Relu(v);
        if (_residual != null) v += Vector256.Load(_residual + (long)row * _ldResidual + col);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v, int row, int col)
    {
        if (_bias != null) v += Vector512.Load(_bias + col);
        if (_activate) v = VectorMath.Relu(v);
        if (_residual != null) v += Vector512.Load(_residual + (long)row * _ldResidual + col);
        return v;
    }

    public void Apply(float* c, int ldc, int row0, int rows, int col0, int cols)
    {
        if (VectorMath.Fast && (!_activate || _activation is UnaryOp.QuickGelu or UnaryOp.Relu))
        {
            OnePass(c, ldc, row0, rows, col0, cols);
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(c + (long)r * ldc, cols);
            if (_bias != null) TensorPrimitives.Add(row, new ReadOnlySpan<float>(_bias + col0, cols), row);
            if (_activate) CpuBackend.UnaryChunk(_activation, row, row, 0f, 0f);
            if (_residual != null) TensorPrimitives.Add(row, new ReadOnlySpan<float>(_residual + (long)(row0 + r) * _ldResidual + col0, cols), row);
        }
    }

    /// <summary>Starts fetching the residual rows of a tile the GEMM is about to compute (every 64-byte line of each
    /// row's span: one or two for the AVX2 kernel's 16 columns, two or three for the AVX-512 kernel's 32).
    /// The residual (the layer's input, 3 KB per row for a 768-wide model) was last read before the attention and
    /// sits in L3; fetched on demand, the epilogue waited on it row after row (the out-projection of a ViT at 485
    /// tokens ran 15-20 % slower than the plain product with bias and residual, 2-5 % with this prefetch; see
    /// GemmParallel.MultiplyChunk).</summary>
    public void Prefetch(int row0, int rows, int col0, int cols)
    {
        if (_residual == null || !Sse.IsSupported || cols <= 0) return;
        for (int r = 0; r < rows; r++)
        {
            float* p = _residual + (long)(row0 + r) * _ldResidual + col0;
            for (int j = 0; j < cols; j += 16) Sse.Prefetch0(p + j);
            Sse.Prefetch0(p + cols - 1); // the span's last line when it does not start on a line boundary
        }
    }

    /// <summary>Bias, activation and residual in one pass over each row, 8 lanes at a time, with the same vector
    /// activation the elementwise op uses (<see cref="VectorMath"/>), so the values equal the three-pass form's (up to
    /// the last bit in a row's last few elements, which the span kernels compute with the scalar formula). The
    /// blocks handed over are small (one micro-tile, 6 x 16, in the multi-threaded GEMM): three library calls per row
    /// would cost more than the arithmetic there.</summary>
    private void OnePass(float* c, int ldc, int row0, int rows, int col0, int cols)
    {
        float* bias = _bias == null ? null : _bias + col0;
        var tail = stackalloc float[8];
        for (int r = 0; r < rows; r++)
        {
            float* y = c + (long)r * ldc;
            float* residual = _residual == null ? null : _residual + (long)(row0 + r) * _ldResidual + col0;
            int j = 0;
            // 16 lanes where the hardware has 512-bit units (the same operations per lane, so the same bits): the
            // AVX-512 micro-kernel's tiles are 32 wide, and QuickGELU's exponential is most of this pass.
            if (Vector512.IsHardwareAccelerated)
                for (; j + 16 <= cols; j += 16)
                    Step(Vector512.Load(y + j), bias == null ? null : bias + j, residual == null ? null : residual + j).Store(y + j);
            for (; j + 8 <= cols; j += 8)
                Step(Vector256.Load(y + j), bias == null ? null : bias + j, residual == null ? null : residual + j).Store(y + j);
            if (j < cols)
            {
                // The ragged end through padded vectors, so it gets exactly the same arithmetic.
                int n = cols - j;
                var v = LoadPadded(y + j, n, tail);
                if (bias != null) v += LoadPadded(bias + j, n, tail);
                v = Activate(v);
                if (residual != null) v += LoadPadded(residual + j, n, tail);
                v.Store(tail);
                for (int t = 0; t < n; t++) y[j + t] = tail[t];
            }
        }
    }

    /// <summary>src[0..n) and zeros after, as one vector (through scratch: 8 floats).</summary>
    private static Vector256<float> LoadPadded(float* src, int n, float* scratch)
    {
        for (int t = 0; t < 8; t++) scratch[t] = t < n ? src[t] : 0f;
        return Vector256.Load(scratch);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<float> Step(Vector256<float> v, float* bias, float* residual)
    {
        if (bias != null) v += Vector256.Load(bias);
        v = Activate(v);
        if (residual != null) v += Vector256.Load(residual);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<float> Activate(Vector256<float> v)
        => !_activate ? v : _activation == UnaryOp.QuickGelu ? VectorMath.QuickGelu(v) : VectorMath.Relu(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> Step(Vector512<float> v, float* bias, float* residual)
    {
        if (bias != null) v += Vector512.Load(bias);
        v = Activate(v);
        if (residual != null) v += Vector512.Load(residual);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> Activate(Vector512<float> v)
        => !_activate ? v : _activation == UnaryOp.QuickGelu ? VectorMath.QuickGelu(v) : VectorMath.Relu(v);

    /// <summary>y[rows, n] = epilogue(x[rows, k] @ packed), bias [n] and residual [rows, n] contiguous.</summary>
    public static void Run(int rows, int n, int k, float[] x, int xOff, PackedMatrixB packed, float[] y, int yOff,
        Tensor? bias, UnaryOp? activation, Tensor? residual)
    {
        var biasArray = bias is null ? null : CpuBackend.Floats(bias.Storage);
        var residualArray = residual is null ? null : CpuBackend.Floats(residual.Storage);
        fixed (float* pb = biasArray, pr = residualArray)
        {
            float* b = pb == null ? null : pb + bias!.Offset;
            float* r = pr == null ? null : pr + residual!.Offset;
            if (b == null && r == null && activation is null)
                Gemm.SgemmPackedB(rows, n, k, 1f, x, xOff, k, packed, 0f, y, yOff, n);
            else
                Gemm.SgemmPackedB(rows, n, k, 1f, x, xOff, k, packed, 0f, y, yOff, n, new LinearEpilogue(b, activation, r, n));
        }
    }
}
