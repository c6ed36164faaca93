namespace Engine.Nn;

/// <summary>BatchNorm2d with running statistics (keys weight, bias, running_mean, running_var, num_batches_tracked).</summary>
public sealed class BatchNorm2d : Module
{
    public BatchNorm2d(int channels, float eps = 1e-5f, float momentum = 0.1f)
    {
        Eps = eps; Momentum = momentum;
        Weight = AddParameter("weight", Tensor.Ones(channels));
        Bias = AddParameter("bias", Tensor.Zeros(channels));
        RunningMean = AddBuffer("running_mean", Tensor.Zeros(channels));
        RunningVar = AddBuffer("running_var", Tensor.Ones(channels));
        NumBatchesTracked = AddBuffer("num_batches_tracked", Tensor.Zeros(DType.I64, Device.Cpu));
    }

    public float Eps { get; }
    public float Momentum { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public BufferSlot RunningMean { get; }
    public BufferSlot RunningVar { get; }
    public BufferSlot NumBatchesTracked { get; }

    /// <summary>When true, eval-mode statistics are used even while training (CRIS "frozen BN").</summary>
    public bool FrozenStats { get; set; }

    /// <summary>Works for [N, C, ...] (also BatchNorm1d's [N, C]). Training with batch statistics also counts the batch in
    /// num_batches_tracked, as torch does.</summary>
    public Tensor Forward(Tensor x)
    {
        bool batchStats = Training && !FrozenStats;
        var y = Ops.BatchNorm(x, RunningMean.Value, RunningVar.Value, Weight.Value, Bias.Value, batchStats, Momentum, Eps);
        if (batchStats && NumBatchesTracked.Value.DType == DType.I64)
            NumBatchesTracked.Value = Tensor.FromArray(new[] { NumBatchesTracked.Value.ToInt64Array()[0] + 1 }, Array.Empty<int>());
        return y;
    }
}
