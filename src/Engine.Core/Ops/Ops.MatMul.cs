namespace Engine;

/// <summary>MatMul (batched, broadcast, transposes) and Linear; both run on the backend GEMM.</summary>
public static partial class Ops
{
    /// <summary>How a [batch..., r, c] tensor is handed to the GEMM: storage, offset, leading dimension, one batch stride,
    /// and whether the stored matrix is the transpose of the logical one.</summary>
    private readonly record struct GemmOperand(Tensor Source, int Ld, long BatchStride, bool Transposed);

    /// <summary>Describes <paramref name="t"/> (already expanded to the full batch) without copying when its last two
    /// axes are row- or column-major and its batch axes follow one stride; otherwise makes it contiguous.</summary>
    private static GemmOperand AsGemmOperand(Tensor t)
    {
        int r = t.Rank, rows = t.Shape[r - 2], cols = t.Shape[r - 1];
        long s0 = t.Strides[r - 2], s1 = t.Strides[r - 1];
        int ld = -1; bool transposed = false;
        if ((s1 == 1 || cols == 1) && (s0 >= cols || rows == 1)) { ld = rows == 1 ? Math.Max(cols, 1) : (int)s0; }
        else if ((s0 == 1 || rows == 1) && (s1 >= rows || cols == 1)) { ld = cols == 1 ? Math.Max(rows, 1) : (int)s1; transposed = true; }
        if (ld > 0 && TryBatchStride(t, out long bs)) return new GemmOperand(t, ld, bs, transposed);
        var c = t.Contiguous();
        return new GemmOperand(c, Math.Max(cols, 1), (long)rows * cols, false);
    }

    private static bool TryBatchStride(Tensor t, out long stride)
    {
        stride = 0;
        long expected = -1;
        for (int i = t.Rank - 3; i >= 0; i--)
        {
            if (t.Shape[i] == 1) continue;
            if (expected < 0) { stride = t.Strides[i]; expected = stride * t.Shape[i]; continue; }
            if (t.Strides[i] != expected) return false;
            expected *= t.Shape[i];
        }
        return true;
    }

    /// <summary>torch.matmul for rank >= 2 with broadcast batch dims; optional transposes of the last two axes.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        RequireF32(a, "MatMul", "a"); RequireF32(b, "MatMul", "b"); RequireSameDevice("MatMul", a, b);
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException($"MatMul needs rank >= 2 operands, got {Shape.Format(a.Shape)} and {Shape.Format(b.Shape)}.");
        int m = transA ? a.Shape[^1] : a.Shape[^2], ka = transA ? a.Shape[^2] : a.Shape[^1];
        int kb = transB ? b.Shape[^1] : b.Shape[^2], n = transB ? b.Shape[^2] : b.Shape[^1];
        if (ka != kb) throw new ArgumentException($"MatMul: inner dimensions differ: a {Shape.Format(a.Shape)}{(transA ? "^T" : "")} has {ka}, b {Shape.Format(b.Shape)}{(transB ? "^T" : "")} has {kb}.");
        int k = ka;
        int[] batch;
        try { batch = Shape.Broadcast(a.Shape.AsSpan(0, a.Rank - 2), b.Shape.AsSpan(0, b.Rank - 2)); }
        catch (ArgumentException e) { throw new ArgumentException($"MatMul: batch dimensions of {Shape.Format(a.Shape)} and {Shape.Format(b.Shape)}: {e.Message}"); }
        int nb = Prod(batch, 0, batch.Length);
        var outShape = batch.Concat(new[] { m, n }).ToArray();
        var y = NewF32(a.Device, outShape);
        var be = BackendOf(a);
        if (b.Rank == 2 && !transA && a.Rank > 2)
        {
            // [..., m, k] @ [k, n]: fold the batch into the rows (one large GEMM).
            var a2 = Raw(a).Reshape(-1, k);
            var ob = AsGemmOperand(b.Detach());
            bool tb = transB ^ ob.Transposed;
            be.Gemm(false, tb, nb * m, n, k, 1f, a2.Storage, a2.Offset, k, ob.Source.Storage, ob.Source.Offset, ob.Ld, 0f, y.Storage, y.Offset, n);
        }
        else if (m > 0 && n > 0)
        {
            var ea = a.Detach().Expand(batch.Concat(a.Shape[^2..]).ToArray());
            var eb = b.Detach().Expand(batch.Concat(b.Shape[^2..]).ToArray());
            var oa = AsGemmOperand(ea); var ob = AsGemmOperand(eb);
            be.GemmBatched(transA ^ oa.Transposed, transB ^ ob.Transposed, m, n, k, 1f,
                oa.Source.Storage, oa.Source.Offset, oa.Ld, oa.BatchStride,
                ob.Source.Storage, ob.Source.Offset, ob.Ld, ob.BatchStride,
                0f, y.Storage, y.Offset, n, (long)m * n, nb);
        }
        if (k == 0) be.Fill(y.Storage, y.Offset, y.Numel, 0f);
        return y.WithGrad("matmul", new[] { a, b }, g =>
        {
            Tensor? ga = null, gb = null;
            var ad = a.Detach(); var bd = b.Detach();
            if (b.Rank == 2 && a.Rank > 2)
            {
                // Keep the weight gradient 2-D (no [batch, k, n] intermediate).
                var g2 = g.Reshape(-1, n);
                if (a.RequiresGrad) ga = transA ? SumToShape(MatMul(bd, g, transB, true), a.Shape) : MatMul(g2, bd, false, !transB).Reshape(Copy(a.Shape));
                if (b.RequiresGrad)
                {
                    if (!transA)
                    {
                        var a2 = ad.Reshape(-1, k);
                        gb = transB ? MatMul(g2, a2, true, false) : MatMul(a2, g2, true, false);
                    }
                    else gb = SumToShape(transB ? MatMul(g, ad, true, transA) : MatMul(ad, g, !transA, false), b.Shape);
                }
                return new[] { ga, gb };
            }
            if (a.RequiresGrad) ga = SumToShape(transA ? MatMul(bd, g, transB, true) : MatMul(g, bd, false, !transB), a.Shape);
            if (b.RequiresGrad) gb = SumToShape(transB ? MatMul(g, ad, true, transA) : MatMul(ad, g, !transA, false), b.Shape);
            return new[] { ga, gb };
        });
    }

    /// <summary>x @ w^T + b with PyTorch layout w [out, in]; x [..., in].</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? b = null)
    {
        RequireF32(x, "Linear", "input"); RequireF32(w, "Linear", "weight"); RequireSameDevice("Linear", x, w);
        if (w.Rank != 2) throw new ArgumentException($"Linear: weight must be [out, in], got {Shape.Format(w.Shape)}.");
        int outF = w.Shape[0], inF = w.Shape[1];
        if (x.Rank < 1 || x.Shape[^1] != inF) throw new ArgumentException($"Linear: input {Shape.Format(x.Shape)} does not end in {inF} (weight {Shape.Format(w.Shape)}).");
        if (b is not null)
        {
            RequireF32(b, "Linear", "bias"); RequireSameDevice("Linear", x, b);
            if (b.Rank != 1 || b.Shape[0] != outF) throw new ArgumentException($"Linear: bias {Shape.Format(b.Shape)} does not match {outF} outputs (weight {Shape.Format(w.Shape)}).");
        }
        var outShape = Copy(x.Shape); outShape[^1] = outF;
        int rows = Prod(x.Shape, 0, x.Rank - 1);
        var x2 = Raw(x);
        var wo = AsGemmOperand(w.Detach());
        var y = NewF32(x.Device, outShape);
        var be = BackendOf(x);
        float beta = PrefillBias(be, b, y, rows, outF);
        if (rows > 0 && outF > 0)
        {
            if (inF == 0) { if (beta == 0f) be.Fill(y.Storage, y.Offset, y.Numel, 0f); }
            else be.Gemm(false, !wo.Transposed, rows, outF, inF, 1f, x2.Storage, x2.Offset, inF, wo.Source.Storage, wo.Source.Offset, wo.Ld, beta, y.Storage, y.Offset, outF);
        }
        var inputs = b is null ? new[] { x, w } : new[] { x, w, b };
        y.WithGrad("linear", inputs, g =>
        {
            var g2 = g.Reshape(rows, outF);
            var gx = x.RequiresGrad ? MatMul(g2, w.Detach()).Reshape(Copy(x.Shape)) : null;
            var gw = w.RequiresGrad ? MatMul(g2, x.Detach().Reshape(rows, inF), transA: true) : null;
            var gb = b is not null && b.RequiresGrad ? Sum(g2, 0) : null;
            return b is null ? new[] { gx, gw } : new[] { gx, gw, gb };
        });
        ReleaseTemp(x2, x, y);
        return y;
    }

    /// <summary>Inference-only Linear with a weight packed ahead of time (<see cref="PackedLinearWeight"/>): x @ w^T + b
    /// on the CPU, recording nothing. Same result as <see cref="Linear(Tensor, Tensor, Tensor?)"/> with the weight
    /// it was packed from.</summary>
    public static Tensor Linear(Tensor x, PackedLinearWeight w, Tensor? b = null) => Linear(x, w, b, null, null);

    /// <summary>Inference-only y = activation(x @ w^T + b) + residual with a packed weight: the GEMM applies the bias, the
    /// activation (<see cref="Activate"/>'s kinds) and the residual ([..., out], the output's shape) to each block of y
    /// as it is finished, while the block is in cache, instead of three more passes over memory. Same result as
    /// <c>Add(residual, Activate(Linear(x, weight, b), activation))</c> up to the rounding of the bias addition.</summary>
    public static Tensor Linear(Tensor x, PackedLinearWeight w, Tensor? b, Backends.UnaryOp? activation, Tensor? residual)
    {
        ArgumentNullException.ThrowIfNull(w);
        RequireF32(x, "Linear", "input");
        if (activation is { } act && !IsActivation(act))
            throw new ArgumentException($"Linear: {act} is not an activation the fused epilogue applies (Relu, Gelu, GeluTanh, QuickGelu, Sigmoid, Tanh).");
        if (Engine.Autograd.GradMode.IsEnabled && (x.RequiresGrad || (b?.RequiresGrad ?? false)))
            throw new InvalidOperationException("Linear with a packed weight is for inference: run it under Tensor.NoGrad().");
        if (x.Device.Kind != DeviceKind.Cpu) throw new ArgumentException($"Linear with a packed weight runs on the CPU; the input is on {x.Device}.");
        int outF = w.OutFeatures, inF = w.InFeatures;
        if (x.Rank < 1 || x.Shape[^1] != inF) throw new ArgumentException($"Linear: input {Shape.Format(x.Shape)} does not end in {inF} (packed weight [{outF}, {inF}]).");
        if (b is not null && (b.Rank != 1 || b.Shape[0] != outF || b.DType != DType.F32 || b.Device.Kind != DeviceKind.Cpu))
            throw new ArgumentException($"Linear: bias {Shape.Format(b.Shape)} does not match {outF} outputs.");
        var outShape = Copy(x.Shape); outShape[^1] = outF;
        if (residual is not null)
        {
            RequireF32(residual, "Linear", "residual");
            if (residual.Device.Kind != DeviceKind.Cpu || !residual.Shape.AsSpan().SequenceEqual(outShape))
                throw new ArgumentException($"Linear: residual {Shape.Format(residual.Shape)} on {residual.Device} must be the output's shape {Shape.Format(outShape)} on the CPU.");
            if (Engine.Autograd.GradMode.IsEnabled && residual.RequiresGrad)
                throw new InvalidOperationException("Linear with a packed weight is for inference: run it under Tensor.NoGrad().");
        }
        int rows = Prod(x.Shape, 0, x.Rank - 1);
        var x2 = Raw(x);
        var y = NewF32(x.Device, outShape);
        if (rows > 0)
        {
            var bc = b is null ? null : Raw(b);
            var rc = residual is null ? null : Raw(residual);
            long t = System.Diagnostics.Stopwatch.GetTimestamp();
            LinearEpilogue.Run(rows, outF, inF, Backends.CpuBackend.Floats(x2.Storage), (int)x2.Offset, w.Matrix,
                Backends.CpuBackend.Floats(y.Storage), (int)y.Offset, bc, activation, rc);
            if (Engine.Profiling.OpProfiler.IsEnabled)
            {
                string what = (bc is null ? "" : "+bias") + (activation is { } a ? "+" + a.ToString().ToLowerInvariant() : "") + (rc is null ? "" : "+residual");
                Engine.Profiling.OpProfiler.Record(Engine.Profiling.OpProfiler.ByShape ? $"gemm {rows}x{inF}x{outF} prepacked{what}" : "gemm.prepacked", t, 2.0 * rows * outF * inF);
            }
            if (bc is not null && b is not null) ReleaseTemp(bc, b, y);
            if (rc is not null && residual is not null) ReleaseTemp(rc, residual, y);
        }
        ReleaseTemp(x2, x, y);
        return y;
    }

    /// <summary>Linear's bias: every row of y [rows, outF] pre-filled with b so the product accumulates on top. Returns
    /// the GEMM's beta (1 with a bias, 0 without).</summary>
    private static float PrefillBias(Backends.IBackend be, Tensor? b, Tensor y, int rows, int outF)
    {
        if (b is null || rows == 0) return 0f;
        var bd = b.Detach();
        be.CopyStrided(bd.Storage, bd.Offset, new long[] { 0, bd.Strides[0] }, new[] { rows, outF }, y.Storage, y.Offset, new long[] { outF, 1 });
        return 1f;
    }
}
