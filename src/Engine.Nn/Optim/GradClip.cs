namespace Engine.Nn.Optim;

/// <summary>torch.nn.utils.clip_grad_norm_: scales all gradients by min(1, maxNorm / (total + 1e-6)).</summary>
public static class GradClip
{
    /// <summary>Returns the total norm before clipping (L2, or the max-abs norm for <paramref name="normType"/> = +inf).
    /// Parameters without a gradient are ignored. Gradients are replaced by scaled copies (never scaled in place, since
    /// autograd may share one gradient buffer between parameters).</summary>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm, double normType = 2.0)
    {
        if (normType != 2.0 && !double.IsPositiveInfinity(normType)) throw new ArgumentException($"ClipGradNorm supports the L2 and infinity norms, not {normType}.");
        using var _ = Tensor.NoGrad();
        var withGrad = parameters.Where(p => p.Value.Grad is not null).ToList();
        if (withGrad.Count == 0) return 0;
        double total = 0;
        foreach (var p in withGrad)
        {
            var g = p.Value.Grad!;
            if (double.IsPositiveInfinity(normType)) total = Math.Max(total, Ops.Max(Ops.Abs(g).Reshape(-1), 0).values.Item());
            else { double n = Ops.Sqrt(Ops.Sum(Ops.Square(g))).Item(); total += n * n; }
        }
        if (!double.IsPositiveInfinity(normType)) total = Math.Sqrt(total);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1.0)
            foreach (var p in withGrad) p.Value.Grad = Ops.Mul(p.Value.Grad!, (float)coef);
        return total;
    }
}
