using System.Numerics.Tensors;
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

    public void Apply(float* c, int ldc, int row0, int rows, int col0, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(c + (long)r * ldc, cols);
            if (_bias != null) TensorPrimitives.Add(row, new ReadOnlySpan<float>(_bias + col0, cols), row);
            if (_activate) CpuBackend.UnaryChunk(_activation, row, row, 0f, 0f);
            if (_residual != null) TensorPrimitives.Add(row, new ReadOnlySpan<float>(_residual + (long)(row0 + r) * _ldResidual + col0, cols), row);
        }
    }

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
