using Engine.Backends;

namespace Engine;

/// <summary>BCE with logits, cross-entropy, soft Dice.</summary>
public static partial class Ops
{
    private static Tensor Reduce(Tensor perElement, Reduction reduction) => reduction switch
    {
        Reduction.None => perElement,
        Reduction.Sum => Sum(perElement),
        Reduction.Mean => Mean(perElement),
        _ => throw new ArgumentOutOfRangeException(nameof(reduction)),
    };

    public static Tensor BceWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        RequireF32(logits, "BceWithLogits", "logits"); RequireF32(target, "BceWithLogits", "target"); RequireSameDevice("BceWithLogits", logits, target);
        if (!logits.Shape.SameAs(target.Shape))
            throw new ArgumentException($"BceWithLogits: target {Shape.Format(target.Shape)} must have the shape of the logits {Shape.Format(logits.Shape)}.");
        // Elementwise max(x,0) - x t + log(1 + exp(-|x|)) (PyTorch's stable form); d/dx = sigmoid(x) - t, d/dt = -x.
        var perElement = BinaryForward(BinaryOp.BceWithLogits, logits, target, "BceWithLogits")
            .WithGrad("bce_with_logits", new[] { logits, target }, g => new[]
            {
                logits.RequiresGrad ? Mul(g, Sub(Sigmoid(logits.Detach()), target.Detach())) : null,
                target.RequiresGrad ? Mul(g, Neg(logits.Detach())) : null,
            });
        return Reduce(perElement, reduction);
    }

    /// <summary>Class index that marks a target to ignore (PyTorch's default ignore_index).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>logits [N, C] (or [N, C, ...]), targets I64 class ids ([N] or [N, ...]); targets equal to
    /// <see cref="IgnoreIndex"/> are skipped and excluded from the mean (PyTorch semantics).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean)
    {
        RequireF32(logits, "CrossEntropy", "logits");
        if (logits.Rank < 2) throw new ArgumentException($"CrossEntropy: logits must be [N, C, ...], got {Shape.Format(logits.Shape)}.");
        int c = logits.Shape[1];
        var expect = logits.Shape.Where((_, i) => i != 1).ToArray();
        if (!targets.Shape.SameAs(expect)) throw new ArgumentException($"CrossEntropy: targets {Shape.Format(targets.Shape)} must be {Shape.Format(expect)} for logits {Shape.Format(logits.Shape)}.");
        var ids = targets.DType is DType.I64 or DType.I32 ? targets.ToInt64Array() : throw new ArgumentException($"CrossEntropy: targets must be int64 class ids, got {targets.DType}.");
        int rows = ids.Length;
        var pick = new long[rows]; var valid = new float[rows]; int count = 0;
        for (int i = 0; i < rows; i++)
        {
            if (ids[i] == IgnoreIndex) continue;
            if (ids[i] < 0 || ids[i] >= c) throw new ArgumentOutOfRangeException(nameof(targets), $"CrossEntropy: target {ids[i]} at flat position {i} is outside [0, {c}).");
            pick[i] = ids[i]; valid[i] = 1f; count++;
        }
        // Class axis last, one row per target: [rows, C].
        var perm = new[] { 0 }.Concat(Enumerable.Range(2, logits.Rank - 2)).Append(1).ToArray();
        var moved = logits.Rank == 2 ? logits : logits.Permute(perm).Contiguous();
        var logp = LogSoftmax(moved.Reshape(rows, c), -1);
        var picked = Gather(logp, 1, Tensor.FromArray(pick, rows, 1)).Reshape(rows);
        var loss = Mul(Neg(picked), Tensor.FromArray(valid, rows).To(logits.Device));
        return reduction switch
        {
            Reduction.None => loss.Reshape(expect),
            Reduction.Sum => Sum(loss),
            Reduction.Mean => Mul(Sum(loss), 1f / count),
            _ => throw new ArgumentOutOfRangeException(nameof(reduction)),
        };
    }

    /// <summary>1 - (2 sum(p t) + smooth) / (sum p + sum t + smooth) per sample (p = sigmoid(logits), sums over all
    /// non-batch axes), averaged over the batch.</summary>
    public static Tensor SoftDiceLoss(Tensor logits, Tensor target, float smooth = 1f)
    {
        RequireF32(logits, "SoftDiceLoss", "logits"); RequireF32(target, "SoftDiceLoss", "target");
        if (!logits.Shape.SameAs(target.Shape)) throw new ArgumentException($"SoftDiceLoss: target {Shape.Format(target.Shape)} must have the shape of the logits {Shape.Format(logits.Shape)}.");
        if (logits.Rank < 1) throw new ArgumentException("SoftDiceLoss needs a batch axis.");
        int n = logits.Shape[0];
        var p = Sigmoid(logits).Reshape(n, -1);
        var t = target.Reshape(n, -1);
        var inter = Sum(Mul(p, t), 1);
        var denom = Add(Add(Sum(p, 1), Sum(t, 1)), smooth);
        var dice = Div(Add(Mul(inter, 2f), smooth), denom);
        return Mean(RSub(1f, dice));
    }
}
