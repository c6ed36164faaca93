namespace Engine.Nn.Optim;

/// <summary>A learning rate as a function of the number of optimiser steps already taken (0 before the first step),
/// like a LambdaLR stepped once per optimiser step.</summary>
public interface ILrSchedule
{
    double LearningRateAt(long step);
}

public static class LrScheduleExtensions
{
    /// <summary>Sets the optimiser's learning rate for the coming step.</summary>
    public static void Apply(this ILrSchedule schedule, Optimizer optimizer, long step) => optimizer.LearningRate = schedule.LearningRateAt(step);
}

public sealed class ConstantLr(double lr) : ILrSchedule
{
    public double LearningRateAt(long step) => lr;
}

/// <summary>Linear warmup from 0 to <paramref name="baseLr"/> over <paramref name="warmupSteps"/>, then half a cosine
/// down to <paramref name="minLr"/> at <paramref name="totalSteps"/> (HF get_cosine_schedule_with_warmup when minLr is 0).</summary>
public sealed class WarmupCosineLr : ILrSchedule
{
    public WarmupCosineLr(double baseLr, long warmupSteps, long totalSteps, double minLr = 0)
    {
        if (warmupSteps < 0 || totalSteps < 1 || warmupSteps > totalSteps) throw new ArgumentException($"WarmupCosineLr: warmup {warmupSteps} and total {totalSteps} steps are inconsistent.");
        BaseLr = baseLr; WarmupSteps = warmupSteps; TotalSteps = totalSteps; MinLr = minLr;
    }

    public double BaseLr { get; }
    public long WarmupSteps { get; }
    public long TotalSteps { get; }
    public double MinLr { get; }

    public double LearningRateAt(long step)
    {
        if (step < WarmupSteps) return BaseLr * step / Math.Max(1, WarmupSteps);
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        double factor = Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress))));
        return MinLr + (BaseLr - MinLr) * factor;
    }
}

/// <summary>torch.optim.lr_scheduler.ReduceLROnPlateau (relative threshold): after more than
/// <see cref="Patience"/> evaluations without improvement, lr = max(lr * factor, minLr); then a cooldown.</summary>
public sealed class ReduceLrOnPlateau
{
    private readonly Optimizer _optimizer;

    public ReduceLrOnPlateau(Optimizer optimizer, bool maximize = false, double factor = 0.1, int patience = 10, double threshold = 1e-4,
                             int cooldown = 0, double minLr = 0, double eps = 1e-8)
    {
        if (factor >= 1.0 || factor <= 0) throw new ArgumentException($"ReduceLrOnPlateau: factor {factor} must be in (0, 1).");
        _optimizer = optimizer; Maximize = maximize; Factor = factor; Patience = patience; Threshold = threshold; Cooldown = cooldown; MinLr = minLr; Eps = eps;
        Best = maximize ? double.NegativeInfinity : double.PositiveInfinity;
    }

    public bool Maximize { get; }
    public double Factor { get; }
    public int Patience { get; }
    public double Threshold { get; }
    public int Cooldown { get; }
    public double MinLr { get; }
    public double Eps { get; }
    public double Best { get; private set; }
    public int BadEpochs { get; private set; }
    public int CooldownCounter { get; private set; }

    // torch's 'rel' threshold mode, sign quirks included.
    private bool IsBetter(double v) => Maximize ? v > Best * (1 + Threshold) : v < Best * (1 - Threshold);

    /// <summary>Reports a validation metric; returns true when the learning rate was reduced.</summary>
    public bool Step(double metric)
    {
        if (IsBetter(metric)) { Best = metric; BadEpochs = 0; }
        else BadEpochs++;
        if (CooldownCounter > 0) { CooldownCounter--; BadEpochs = 0; }
        if (BadEpochs <= Patience) return false;
        BadEpochs = 0; CooldownCounter = Cooldown;
        double old = _optimizer.LearningRate, nw = Math.Max(old * Factor, MinLr);
        if (old - nw <= Eps) return false;
        _optimizer.LearningRate = nw;
        return true;
    }

    /// <summary>Scheduler state for checkpoint-resume (best, bad epochs, cooldown counter).</summary>
    public double[] SaveState() => new[] { Best, BadEpochs, CooldownCounter };

    public void LoadState(double[] s)
    {
        if (s.Length != 3) throw new ArgumentException("ReduceLrOnPlateau state must have 3 values (best, bad epochs, cooldown counter).");
        Best = s[0]; BadEpochs = (int)s[1]; CooldownCounter = (int)s[2];
    }
}
