namespace Engine.Training.Training;

/// <summary>
/// The training loss: <c>dice_weight · SoftDice + bce_weight · BCEWithLogits</c> (mean over pixels), soft Dice per
/// sample with smoothing 1 (<see cref="Ops.SoftDiceLoss"/>) averaged over the batch. <see cref="Reference"/> computes
/// the same value in plain double-precision C# for one sample (validation loss, and the test oracle of the tensor
/// version).
/// </summary>
public sealed record SegmentationLoss(double DiceWeight, double BceWeight)
{
    public const float DiceSmooth = 1f;

    public static SegmentationLoss Default { get; } = new(1.0, 1.0);

    public void Validate()
    {
        if (DiceWeight < 0 || BceWeight < 0 || double.IsNaN(DiceWeight) || double.IsNaN(BceWeight))
            throw new ArgumentException($"Loss weights must be non-negative (dice {DiceWeight}, bce {BceWeight}).");
        if (DiceWeight == 0 && BceWeight == 0) throw new ArgumentException("--dice-weight and --bce-weight are both 0: there is nothing to minimise.");
    }

    /// <summary>logits and targets [B, H, W] (targets 0/1 float) -> scalar loss with a tape.</summary>
    public Tensor Compute(Tensor logits, Tensor targets)
    {
        Tensor? loss = null;
        if (DiceWeight > 0) loss = Ops.Mul(Ops.SoftDiceLoss(logits, targets, DiceSmooth), (float)DiceWeight);
        if (BceWeight > 0)
        {
            var bce = Ops.Mul(Ops.BceWithLogits(logits, targets, Reduction.Mean), (float)BceWeight);
            loss = loss is null ? bce : Ops.Add(loss, bce);
        }
        return loss!;
    }

    /// <summary>The loss of one sample: logits and 0/1 targets of the same length.</summary>
    public double Reference(ReadOnlySpan<float> logits, ReadOnlySpan<byte> targets)
    {
        if (logits.Length != targets.Length) throw new ArgumentException($"{logits.Length} logits for {targets.Length} targets.");
        double bce = 0, inter = 0, sumP = 0, sumT = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i], t = targets[i] != 0 ? 1 : 0;
            bce += Math.Max(x, 0) - x * t + Math.Log(1 + Math.Exp(-Math.Abs(x)));
            double p = 1 / (1 + Math.Exp(-x));
            inter += p * t; sumP += p; sumT += t;
        }
        double dice = 1 - (2 * inter + DiceSmooth) / (sumP + sumT + DiceSmooth);
        return DiceWeight * dice + BceWeight * (logits.Length == 0 ? 0 : bce / logits.Length);
    }
}
