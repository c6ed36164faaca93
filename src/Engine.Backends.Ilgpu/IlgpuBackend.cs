using Engine.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;
using K = Engine.Kernels.Gpu;

namespace Engine.Backends.Ilgpu;

/// <summary>
/// The core's kernel interface on an ILGPU accelerator. Every method checks sizes on the host (through the kernel
/// launchers), launches asynchronously on the device's stream and returns; only Download and ReduceMax (whose
/// indices live on the host) synchronise. Call <see cref="Register"/> once at start-up to make "cuda" and
/// "ilgpu-cpu" devices available to tensors.
/// </summary>
public sealed partial class IlgpuBackend : IBackend, IDisposable
{
    private static int _registered;

    public IlgpuBackend(GpuDevice gpu, Device device)
    {
        Gpu = gpu; Device = device;
    }

    public GpuDevice Gpu { get; }
    public Device Device { get; }

    /// <summary>Registers DeviceKind.IlgpuCpu (always) and DeviceKind.Cuda (only when a CUDA GPU can be opened, so
    /// that BackendRegistry.IsAvailable(Cuda) can drive "--device auto") in the backend registry. Safe to call more
    /// than once; the probe for CUDA takes a few milliseconds when no driver is installed.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) != 0) return;
        BackendRegistry.Register(DeviceKind.IlgpuCpu, d => new IlgpuBackend(GpuDevice.CreateCpu(), d));
        if (GpuDevice.IsCudaAvailable())
            BackendRegistry.Register(DeviceKind.Cuda, d => new IlgpuBackend(GpuDevice.CreateCuda(d.Index), d));
        else
            BackendRegistry.MarkUnavailable(DeviceKind.Cuda, GpuDevice.CudaProbeError ?? "no CUDA GPU found.");
    }

    /// <summary>True when <see cref="DeviceKind.Cuda"/> devices can actually be opened here.</summary>
    public static bool CudaAvailable => GpuDevice.IsCudaAvailable();

    private static IlgpuStorage S(Storage s, string name) => s as IlgpuStorage
        ?? throw new ArgumentException($"Storage '{name}' lives on {s.Device}, not on an ILGPU device.");

    private static ArrayView<float> F(Storage s, string name) => S(s, name).Floats;

    /// <summary>The float view of <paramref name="s"/> from <paramref name="offset"/> to its end.</summary>
    private static ArrayView<float> F(Storage s, long offset, string name)
    {
        var v = F(s, name);
        if (offset < 0 || offset > v.Length) throw new ArgumentOutOfRangeException(name, $"Offset {offset} outside storage '{name}' of {v.Length} elements.");
        return v.SubView(offset, v.Length - offset);
    }

    public Storage Allocate(DType dtype, long length, bool clear) => new IlgpuStorage(Gpu, Device, dtype, length, clear);

    public void CopyStrided(Storage src, long srcOffset, ReadOnlySpan<long> srcStrides, ReadOnlySpan<int> shape,
                            Storage dst, long dstOffset, ReadOnlySpan<long> dstStrides)
    {
        var s = S(src, "src"); var d = S(dst, "dst");
        if (s.DType != d.DType) throw new ArgumentException($"CopyStrided between {s.DType} and {d.DType}.");
        switch (s.DType)
        {
            case DType.F32: Elementwise.CopyStrided(Gpu, s.Floats, srcOffset, srcStrides, shape, d.Floats, dstOffset, dstStrides); break;
            case DType.I64: Elementwise.CopyStrided(Gpu, s.Longs, srcOffset, srcStrides, shape, d.Longs, dstOffset, dstStrides); break;
            case DType.I32: Elementwise.CopyStrided(Gpu, s.Ints, srcOffset, srcStrides, shape, d.Ints, dstOffset, dstStrides); break;
            default: Elementwise.CopyStrided(Gpu, s.Bytes, srcOffset, srcStrides, shape, d.Bytes, dstOffset, dstStrides); break;
        }
    }

    public void Upload(ReadOnlySpan<float> src, Storage dst, long dstOffset)
    {
        var v = F(dst, dstOffset, "dst");
        if (src.Length > v.Length) throw new ArgumentException($"Upload of {src.Length} floats past the end of a {F(dst, "dst").Length}-element storage.");
        if (src.Length > 0) v.SubView(0, src.Length).CopyFromCPU(Gpu.Stream, src);
    }

    public void Synchronize() => Gpu.Synchronize();

    public void Download(Storage src, long srcOffset, Span<float> dst)
    {
        var v = F(src, srcOffset, "src");
        if (dst.Length > v.Length) throw new ArgumentException($"Download of {dst.Length} floats past the end of the storage.");
        if (dst.Length == 0) return;
        v.SubView(0, dst.Length).CopyToCPU(Gpu.Stream, dst);
        Gpu.Synchronize();
    }

    public void Fill(Storage dst, long dstOffset, long count, float value)
    {
        var v = F(dst, dstOffset, "dst");
        if (count > v.Length) throw new ArgumentException($"Fill of {count} elements past the end of the storage.");
        Elementwise.Fill(Gpu, v.SubView(0, count), value);
    }

    private static K.UnaryOp Map(UnaryOp op) => op switch
    {
        UnaryOp.Neg => K.UnaryOp.Neg, UnaryOp.AddScalar => K.UnaryOp.AddScalar, UnaryOp.MulScalar => K.UnaryOp.MulScalar,
        UnaryOp.RSub => K.UnaryOp.RSubScalar, UnaryOp.RDiv => K.UnaryOp.RDivScalar, UnaryOp.Pow => K.UnaryOp.PowScalar,
        UnaryOp.Exp => K.UnaryOp.Exp, UnaryOp.Log => K.UnaryOp.Log, UnaryOp.Sqrt => K.UnaryOp.Sqrt, UnaryOp.Rsqrt => K.UnaryOp.Rsqrt,
        UnaryOp.Abs => K.UnaryOp.Abs, UnaryOp.Square => K.UnaryOp.Square, UnaryOp.Tanh => K.UnaryOp.Tanh, UnaryOp.Sigmoid => K.UnaryOp.Sigmoid,
        UnaryOp.Relu => K.UnaryOp.Relu, UnaryOp.Gelu => K.UnaryOp.Gelu, UnaryOp.GeluTanh => K.UnaryOp.GeluTanh,
        UnaryOp.QuickGelu => K.UnaryOp.QuickGelu, UnaryOp.Clamp => K.UnaryOp.Clamp,
        _ => throw new NotSupportedException($"Unary op {op} has no ILGPU kernel."),
    };

    private static K.BinaryOp Map(BinaryOp op) => op switch
    {
        BinaryOp.Add => K.BinaryOp.Add, BinaryOp.Sub => K.BinaryOp.Sub, BinaryOp.Mul => K.BinaryOp.Mul, BinaryOp.Div => K.BinaryOp.Div,
        BinaryOp.Maximum => K.BinaryOp.Maximum, BinaryOp.Minimum => K.BinaryOp.Minimum,
        BinaryOp.MaximumGradA => K.BinaryOp.MaximumGradA, BinaryOp.MinimumGradA => K.BinaryOp.MinimumGradA,
        BinaryOp.BceWithLogits => K.BinaryOp.BceWithLogits,
        _ => throw new NotSupportedException($"Binary op {op} has no ILGPU kernel."),
    };

    public void Unary(UnaryOp op, Storage x, long xOffset, Storage y, long yOffset, long n, float alpha, float beta) =>
        Elementwise.Unary(Gpu, Map(op), F(x, xOffset, "x"), F(y, yOffset, "y"), n, alpha, beta);

    public void UnaryBackward(UnaryOp op, Storage x, long xOffset, Storage y, long yOffset, Storage gy, long gyOffset,
                              Storage gx, long gxOffset, long n, float alpha, float beta) =>
        Elementwise.UnaryBackward(Gpu, Map(op), F(x, xOffset, "x"), F(y, yOffset, "y"), F(gy, gyOffset, "gy"), F(gx, gxOffset, "gx"), n, alpha, beta);

    public void Binary(BinaryOp op, Storage a, long aOffset, ReadOnlySpan<long> aStrides, Storage b, long bOffset, ReadOnlySpan<long> bStrides,
                       ReadOnlySpan<int> shape, Storage y, long yOffset) =>
        Elementwise.Binary(Gpu, Map(op), shape, F(a, "a"), aOffset, aStrides, F(b, "b"), bOffset, bStrides, F(y, yOffset, "y"));

    public void Where(Storage cond, long cOffset, ReadOnlySpan<long> cStrides, Storage a, long aOffset, ReadOnlySpan<long> aStrides,
                      Storage b, long bOffset, ReadOnlySpan<long> bStrides, ReadOnlySpan<int> shape, Storage y, long yOffset) =>
        Elementwise.Where(Gpu, shape, F(cond, "cond"), cOffset, cStrides, F(a, "a"), aOffset, aStrides, F(b, "b"), bOffset, bStrides, F(y, yOffset, "y"));

    public void ReduceSum(Storage x, long xOffset, int outer, int n, int inner, float scale, Storage y, long yOffset)
    {
        var yv = F(y, yOffset, "y");
        long outputs = (long)outer * inner;
        if (n == 0) { Elementwise.Fill(Gpu, yv.SubView(0, outputs), 0f); return; }
        using var unused = Gpu.Rent<long>(1);
        Reduce.Axis(Gpu, ReduceOp.Sum, F(x, xOffset, "x"), new AxisShape { Outer = outer, N = n, Inner = inner }, yv, unused.View);
        if (scale != 1f) Elementwise.Unary(Gpu, K.UnaryOp.MulScalar, yv, yv, outputs, scale);
    }

    public void ReduceMax(Storage x, long xOffset, int outer, int n, int inner, Storage values, long valuesOffset, Span<long> indices)
    {
        long outputs = (long)outer * inner;
        if (indices.Length < outputs) throw new ArgumentException($"Index span of {indices.Length} for {outputs} outputs.");
        using var idx = Gpu.Rent<long>(Math.Max(1, outputs));
        Reduce.Axis(Gpu, ReduceOp.Max, F(x, xOffset, "x"), new AxisShape { Outer = outer, N = n, Inner = inner }, F(values, valuesOffset, "values"), idx.View);
        if (outputs == 0) return;
        idx.View.SubView(0, outputs).CopyToCPU(Gpu.Stream, indices.Slice(0, (int)outputs));
        Gpu.Synchronize();
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda,
                     Storage b, long bOffset, int ldb, float beta, Storage c, long cOffset, int ldc) =>
        K.Gemm.Sgemm(Gpu, transA, transB, m, n, k, alpha, F(a, "a"), aOffset, lda, F(b, "b"), bOffset, ldb, beta, F(c, "c"), cOffset, ldc, Precision);

    public void GemmBatched(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda, long strideA,
                            Storage b, long bOffset, int ldb, long strideB, float beta, Storage c, long cOffset, int ldc, long strideC, int batch) =>
        K.Gemm.SgemmBatched(Gpu, transA, transB, m, n, k, alpha, F(a, "a"), aOffset, lda, F(b, "b"), bOffset, ldb, beta, F(c, "c"), cOffset, ldc,
                            GemmBatch.Strided(batch, strideA, strideB, strideC), Precision);

    /// <summary>GEMM arithmetic for this backend: fp32 (default, exact reference) or TF32 tensor cores (opt-in,
    /// CUDA sm_80+; set ENGINE_GEMM=tf32).</summary>
    public GemmPrecision Precision { get; set; } =
        Environment.GetEnvironmentVariable("ENGINE_GEMM") == "tf32" ? GemmPrecision.Tf32TensorCore : GemmPrecision.Fp32;

    public void Dispose() => Gpu.Dispose();
}
