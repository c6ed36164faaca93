using System.Diagnostics;
using System.Globalization;

namespace Engine.Models.Cris;

/// <summary>A time both as wall clock and as process CPU time (all threads), in milliseconds per image.</summary>
public readonly record struct CrisTime(double WallMs, double CpuMs)
{
    public static CrisTime operator +(CrisTime a, CrisTime b) => new(a.WallMs + b.WallMs, a.CpuMs + b.CpuMs);
    public CrisTime PerImage(int n) => new(WallMs / n, CpuMs / n);
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{WallMs:F0} ms wall / {CpuMs:F0} ms CPU");
}

/// <summary>Timings of one CRIS configuration (per image).</summary>
public sealed record CrisBenchmarkResult
{
    public required string Preset { get; init; }
    public required int InputSize { get; init; }
    public required int Batch { get; init; }
    /// <summary>Images per training step (at least 2: CRIS's BatchNorm1d needs two samples in training mode).</summary>
    public required int TrainBatch { get; init; }
    public required int Threads { get; init; }
    public required long Parameters { get; init; }
    /// <summary>Best eval-mode forward (no tape).</summary>
    public CrisTime Forward { get; init; }
    /// <summary>Convolutions inside that forward (timed as they run).</summary>
    public CrisTime ForwardConv { get; init; }
    /// <summary>Best training-mode forward + BCE loss + backward.</summary>
    public CrisTime TrainStep { get; init; }
    /// <summary>Convolutions inside the training step's forward.</summary>
    public CrisTime TrainForwardConv { get; init; }
    /// <summary>Those convolutions' backward (data + weight gradients), re-run one by one with the same shapes.</summary>
    public CrisTime TrainBackwardConv { get; init; }
    public int Convolutions { get; init; }
    /// <summary>2·multiply-adds of the forward convolutions, per image.</summary>
    public double ConvGflopPerImage { get; init; }

    /// <summary>Shares on CPU time, which other work on a shared machine does not inflate (wall-clock shares do drift).</summary>
    public double ForwardConvShare => Forward.CpuMs > 0 ? ForwardConv.CpuMs / Forward.CpuMs : 0;
    public double TrainConvShare => TrainStep.CpuMs > 0 ? (TrainForwardConv.CpuMs + TrainBackwardConv.CpuMs) / TrainStep.CpuMs : 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"CRIS {Preset} {InputSize}x{InputSize}, {Threads} threads, {Parameters:N0} parameters (per image; wall clock and process CPU time)\n" +
        $"  forward (eval, batch {Batch}):            {Forward}; convolutions {ForwardConv} = {100 * ForwardConvShare:F1} % of CPU time ({Convolutions} convs, {ConvGflopPerImage:F1} GFLOP, {ConvGflopPerImage / (ForwardConv.WallMs / 1000):F1} GFLOPS wall)\n" +
        $"  forward+backward (train, batch {TrainBatch}): {TrainStep}; convolutions forward {TrainForwardConv} + backward {TrainBackwardConv} (re-run alone) = {100 * TrainConvShare:F1} % of CPU time");
}

/// <summary>
/// CRIS speed on the CPU: eval forward and training step (forward, BCE loss, backward; batch-norm batch statistics)
/// per image, and the share spent in convolutions — forward convolutions timed as they run, their backward passes
/// re-run alone with the recorded shapes (the autograd engine interleaves them with other ops). Both wall clock and
/// process CPU time are reported; the shares use CPU time.
/// </summary>
public static class CrisBenchmark
{
    public static CrisBenchmarkResult Run(string preset = "rn50", int? inputSize = null, int batch = 1, int repeats = 3, int seed = 0, Action<string>? log = null)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "batch must be positive.");
        if (repeats < 1) throw new ArgumentOutOfRangeException(nameof(repeats), "repeats must be positive.");
        var model = CrisPresets.Create(preset, seed);
        int size = inputSize ?? model.Config.InputSize;
        if (size % 32 != 0) throw new ArgumentException($"Input size {size} must be a multiple of 32.");
        var rng = new Random(seed + 1);

        // Eval forward, no tape; the first run warms up the JIT and buffers.
        var pixels = Tensor.Randn(rng, batch, 3, size, size);
        var ids = RandomIds(rng, batch, model.Config.WordLen, model.ClipArch.VocabSize);
        model.Eval();
        void Forward() => TensorScope.Infer(() => { model.Forward(pixels, ids); });
        log?.Invoke($"warm-up forward: {Time(Forward)}");
        var (fwd, fwdCalls) = Best(Forward, repeats, "forward", log);

        // Training step on max(2, batch) images: neck.txt_proj's BatchNorm1d needs two samples in training mode.
        int trainBatch = Math.Max(2, batch);
        var tPixels = Tensor.Randn(rng, trainBatch, 3, size, size);
        var tIds = RandomIds(rng, trainBatch, model.Config.WordLen, model.ClipArch.VocabSize);
        var target = Tensor.FromArray(Enumerable.Range(0, trainBatch * size * size).Select(_ => rng.NextDouble() < 0.3 ? 1f : 0f).ToArray(), trainBatch, 1, size, size);
        model.Train();
        void Step()
        {
            foreach (var p in model.Parameters()) p.Value.ZeroGrad();
            CrisModel.Loss(model.Forward(tPixels, tIds), target).Backward();
        }
        log?.Invoke($"warm-up train step: {Time(Step)}");
        var (train, trainCalls) = Best(Step, repeats, "train step", log);
        model.Eval();

        // Backward of each recorded convolution alone (data gradient where the input needs one, weight gradient).
        var bwd = new CrisTime(0, 0);
        foreach (var c in trainCalls)
        {
            var x = Tensor.Randn(rng, c.InputShape); x.RequiresGrad = c.InputRequiresGrad;
            var w = Tensor.Randn(rng, c.WeightShape); w.RequiresGrad = true;
            var b = c.Bias ? Tensor.Zeros(c.WeightShape[0]) : null;
            if (b != null) b.RequiresGrad = true;
            CrisTime best = new(double.MaxValue, double.MaxValue);
            for (int r = 0; r < Math.Max(2, repeats); r++)
            {
                var y = Ops.Conv2d(x, w, b, (c.Stride, c.Stride), (c.Padding, c.Padding), (1, 1), c.Groups);
                var g = Tensor.Ones((int[])y.Shape.Clone());
                var t = Time(() => y.Backward(g));
                if (t.CpuMs < best.CpuMs) best = t;
                x.ZeroGrad(); w.ZeroGrad(); b?.ZeroGrad();
            }
            bwd += best;
        }
        return new CrisBenchmarkResult
        {
            Preset = preset, InputSize = size, Batch = batch, TrainBatch = trainBatch, Threads = Environment.ProcessorCount, Parameters = model.ParameterCount(),
            Forward = fwd.PerImage(batch), ForwardConv = Sum(fwdCalls).PerImage(batch),
            TrainStep = train.PerImage(trainBatch), TrainForwardConv = Sum(trainCalls).PerImage(trainBatch), TrainBackwardConv = bwd.PerImage(trainBatch),
            Convolutions = fwdCalls.Count, ConvGflopPerImage = fwdCalls.Sum(c => c.Flops) / 1e9 / batch,
        };
    }

    private static CrisTime Time(Action a)
    {
        double cpu = CrisConv.CpuMs();
        var sw = Stopwatch.StartNew();
        a();
        return new CrisTime(sw.Elapsed.TotalMilliseconds, CrisConv.CpuMs() - cpu);
    }

    /// <summary>The run with the least CPU time, with the convolutions it recorded.</summary>
    private static (CrisTime, List<CrisConv.ConvCall>) Best(Action body, int repeats, string what, Action<string>? log)
    {
        CrisTime best = new(double.MaxValue, double.MaxValue);
        List<CrisConv.ConvCall> calls = new();
        for (int r = 0; r < repeats; r++)
        {
            CrisTime t = default;
            var c = CrisConv.Record(() => t = Time(body));
            log?.Invoke($"{what} {r + 1}: {t}");
            if (t.CpuMs < best.CpuMs) { best = t; calls = c; }
        }
        return (best, calls);
    }

    private static CrisTime Sum(IEnumerable<CrisConv.ConvCall> calls)
        => calls.Aggregate(new CrisTime(0, 0), (acc, c) => acc + new CrisTime(c.ForwardMs, c.ForwardCpuMs));

    /// <summary>[batch, len] ids shaped like CRIS's: &lt;sot&gt; (vocab−2), a few words, &lt;eot&gt; (vocab−1), 0-padding.</summary>
    public static Tensor RandomIds(Random rng, int batch, int len, int vocab)
    {
        var ids = new long[batch * len];
        for (int b = 0; b < batch; b++)
        {
            int words = Math.Min(len - 2, 3 + rng.Next(Math.Max(1, len - 4)));
            ids[b * len] = vocab - 2;
            for (int i = 1; i <= words; i++) ids[b * len + i] = 1 + rng.Next(vocab - 3);
            ids[b * len + words + 1] = vocab - 1;
        }
        return Tensor.FromArray(ids, batch, len);
    }
}
