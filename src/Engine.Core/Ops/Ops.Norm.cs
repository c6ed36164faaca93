using Engine.Backends;

namespace Engine;

/// <summary>Softmax, log-softmax, LayerNorm, BatchNorm, L2 normalisation.</summary>
public static partial class Ops
{
    public static Tensor Softmax(Tensor x, int axis) => SoftmaxCore(x, axis, log: false);
    public static Tensor LogSoftmax(Tensor x, int axis) => SoftmaxCore(x, axis, log: true);

    private static Tensor SoftmaxCore(Tensor x, int axis, bool log)
    {
        string name = log ? "LogSoftmax" : "Softmax";
        RequireF32(x, name);
        if (x.Rank == 0) throw new ArgumentException($"{name} needs at least one axis.");
        int a = Shape.Axis(axis, x.Rank);
        bool last = a == x.Rank - 1;
        // The kernel works on the last axis; another axis is moved there (one copy each way).
        var xl = last ? Raw(x) : x.Detach().Transpose(a, -1).Contiguous();
        int n = xl.Shape[^1], rows = n == 0 ? 0 : (int)(xl.Numel / n);
        var yl = NewF32(x.Device, Copy(xl.Shape));
        var be = BackendOf(x);
        be.Softmax(xl.Storage, xl.Offset, rows, n, log, yl.Storage, yl.Offset);
        var y = last ? yl : yl.Transpose(a, -1).Contiguous();
        y.WithGrad(log ? "log_softmax" : "softmax", new[] { x }, g =>
        {
            var gl = last ? Raw(g) : g.Transpose(a, -1).Contiguous();
            var gxl = NewF32(g.Device, Copy(gl.Shape));
            be.SoftmaxBackward(yl.Storage, yl.Offset, gl.Storage, gl.Offset, rows, n, log, gxl.Storage, gxl.Offset);
            return new[] { last ? gxl : gxl.Transpose(a, -1).Contiguous() };
        });
        ReleaseTemp(xl, x, y);
        if (!last) ReleaseTemp(yl, x, y);
        return y;
    }

    /// <summary>LayerNorm over the last axis (biased variance), optional affine.</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps)
    {
        RequireF32(x, "LayerNorm");
        if (x.Rank == 0) throw new ArgumentException("LayerNorm needs at least one axis.");
        int n = x.Shape[^1];
        foreach (var (t, what) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            RequireF32(t, "LayerNorm", what); RequireSameDevice("LayerNorm", x, t);
            if (t.Rank != 1 || t.Shape[0] != n) throw new ArgumentException($"LayerNorm: {what} {Shape.Format(t.Shape)} does not match the normalised size {n} of input {Shape.Format(x.Shape)}.");
        }
        var xc = Raw(x);
        var wc = weight is null ? null : Raw(weight); var bc = bias is null ? null : Raw(bias);
        int rows = n == 0 ? 0 : (int)(x.Numel / n);
        var y = NewF32(x.Device, Copy(x.Shape));
        var mean = NewF32(x.Device, new[] { rows }); var rstd = NewF32(x.Device, new[] { rows });
        var be = BackendOf(x);
        be.LayerNorm(xc.Storage, xc.Offset, wc?.Storage, wc?.Offset ?? 0, bc?.Storage, bc?.Offset ?? 0, rows, n, eps, y.Storage, y.Offset, mean.Storage, rstd.Storage);
        var inputs = new List<Tensor> { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        y.WithGrad("layer_norm", inputs.ToArray(), g =>
        {
            var gc = Raw(g);
            var gx = NewF32(x.Device, Copy(x.Shape));
            var gw = weight is not null && weight.RequiresGrad ? NewF32(x.Device, new[] { n }) : null;
            var gb = bias is not null && bias.RequiresGrad ? NewF32(x.Device, new[] { n }) : null;
            be.LayerNormBackward(xc.Storage, xc.Offset, wc?.Storage, wc?.Offset ?? 0, gc.Storage, gc.Offset, mean.Storage, rstd.Storage, rows, n,
                                 gx.Storage, gx.Offset, gw?.Storage, gb?.Storage);
            var r = new List<Tensor?> { x.RequiresGrad ? gx : null };
            if (weight is not null) r.Add(gw);
            if (bias is not null) r.Add(gb);
            return r.ToArray();
        });
        if (y.GradFn is null) { mean.Dispose(); rstd.Dispose(); }
        ReleaseTemp(xc, x, y);
        return y;
    }

    /// <summary>BatchNorm over axis 1 of [N, C, ...]. Training: batch statistics (biased for normalising, unbiased for
    /// the running update with <paramref name="momentum"/>), running stats updated in place. Eval: running stats.</summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training, float momentum, float eps)
    {
        RequireF32(x, "BatchNorm");
        if (x.Rank < 2) throw new ArgumentException($"BatchNorm needs [N, C, ...], got {Shape.Format(x.Shape)}.");
        int nb = x.Shape[0], c = x.Shape[1], spatial = Prod(x.Shape, 2, x.Rank);
        foreach (var (t, what) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            RequireF32(t, "BatchNorm", what); RequireSameDevice("BatchNorm", x, t);
            if (t.Numel != c) throw new ArgumentException($"BatchNorm: {what} {Shape.Format(t.Shape)} does not match {c} channels of input {Shape.Format(x.Shape)}.");
        }
        bool useBatch = training || runningMean is null || runningVar is null;
        long count = (long)nb * spatial;
        if (useBatch && count <= 1 && training) throw new ArgumentException($"BatchNorm: expected more than 1 value per channel when training, got input {Shape.Format(x.Shape)}.");
        var be = BackendOf(x);
        var xc = Raw(x);
        float[] mean, varB;
        if (useBatch)
        {
            var mT = NewF32(x.Device, new[] { c }); var vT = NewF32(x.Device, new[] { c });
            be.ChannelStats(xc.Storage, xc.Offset, nb, c, spatial, mT.Storage, vT.Storage);
            mean = mT.ToArray(); varB = vT.ToArray();
            if (training && runningMean is not null && runningVar is not null)
            {
                var rm = runningMean.Detach().ToArray(); var rv = runningVar.Detach().ToArray();
                float unbias = count > 1 ? (float)count / (count - 1) : 1f;
                for (int i = 0; i < c; i++)
                {
                    rm[i] = (1f - momentum) * rm[i] + momentum * mean[i];
                    rv[i] = (1f - momentum) * rv[i] + momentum * varB[i] * unbias;
                }
                CopyInto(runningMean.Detach(), Tensor.FromArray(rm, Copy(runningMean.Shape)).To(x.Device));
                CopyInto(runningVar.Detach(), Tensor.FromArray(rv, Copy(runningVar.Shape)).To(x.Device));
            }
        }
        else { mean = runningMean!.Detach().ToArray(); varB = runningVar!.Detach().ToArray(); }
        var w = weight?.Detach().ToArray(); var b = bias?.Detach().ToArray();
        var invstd = new float[c]; var scale = new float[c]; var shift = new float[c];
        for (int i = 0; i < c; i++)
        {
            invstd[i] = 1f / MathF.Sqrt(varB[i] + eps);
            scale[i] = (w?[i] ?? 1f) * invstd[i];
            shift[i] = (b?[i] ?? 0f) - mean[i] * scale[i];
        }
        var y = NewF32(x.Device, Copy(x.Shape));
        be.ChannelAffine(xc.Storage, xc.Offset, nb, c, spatial, Upload(scale, x.Device).Storage, Upload(shift, x.Device).Storage, y.Storage, y.Offset);
        var inputs = new List<Tensor> { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        return y.WithGrad("batch_norm", inputs.ToArray(), g =>
        {
            var gc = Raw(g);
            var s1T = NewF32(x.Device, new[] { c }); var s2T = NewF32(x.Device, new[] { c });
            be.ChannelGradSums(xc.Storage, xc.Offset, gc.Storage, gc.Offset, nb, c, spatial, s1T.Storage, s2T.Storage);
            var sumG = s1T.ToArray(); var sumGX = s2T.ToArray();
            var sumGXhat = new float[c];
            for (int i = 0; i < c; i++) sumGXhat[i] = (sumGX[i] - mean[i] * sumG[i]) * invstd[i];
            Tensor? gx = null;
            if (x.RequiresGrad)
            {
                gx = NewF32(x.Device, Copy(x.Shape));
                if (useBatch)
                {
                    // gx = a (gy - sum(gy)/M - xhat sum(gy xhat)/M), a = w invstd, written as a gy + bx x + cc.
                    var ka = new float[c]; var kb = new float[c]; var kc = new float[c]; var zero = new float[c];
                    for (int i = 0; i < c; i++)
                    {
                        ka[i] = scale[i];
                        kb[i] = -ka[i] * invstd[i] * sumGXhat[i] / count;
                        kc[i] = -ka[i] * sumG[i] / count - kb[i] * mean[i];
                    }
                    var t = NewF32(x.Device, Copy(x.Shape));
                    be.ChannelAffine(xc.Storage, xc.Offset, nb, c, spatial, Upload(kb, x.Device).Storage, Upload(kc, x.Device).Storage, t.Storage, t.Offset);
                    be.ChannelAffine(gc.Storage, gc.Offset, nb, c, spatial, Upload(ka, x.Device).Storage, Upload(zero, x.Device).Storage, gx.Storage, gx.Offset);
                    var shape = Copy(x.Shape);
                    be.Binary(BinaryOp.Add, gx.Storage, gx.Offset, gx.Strides, t.Storage, t.Offset, t.Strides, shape, gx.Storage, gx.Offset);
                }
                else
                    be.ChannelAffine(gc.Storage, gc.Offset, nb, c, spatial, Upload(scale, x.Device).Storage, Upload(new float[c], x.Device).Storage, gx.Storage, gx.Offset);
            }
            var r = new List<Tensor?> { gx };
            if (weight is not null) r.Add(weight.RequiresGrad ? Upload(sumGXhat, x.Device).Reshape(Copy(weight.Shape)) : null);
            if (bias is not null) r.Add(bias.RequiresGrad ? Upload(sumG, x.Device).Reshape(Copy(bias.Shape)) : null);
            return r.ToArray();
        });
    }

    private static Tensor Upload(float[] v, Device device) => Tensor.FromArray(v, v.Length).To(device);

    /// <summary>x / max(||x||_2, eps) along an axis.</summary>
    public static Tensor L2Normalize(Tensor x, int axis, float eps = 1e-12f)
    {
        RequireF32(x, "L2Normalize");
        int a = Shape.Axis(axis, x.Rank);
        var norm = Sqrt(Sum(Square(x), a, keepDim: true));
        return Div(x, Clamp(norm, eps, float.PositiveInfinity));
    }
}
