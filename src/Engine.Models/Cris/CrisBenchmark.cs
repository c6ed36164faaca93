using System.Diagnostics;
using System.Globalization;

namespace Engine.Models.Cris;

/// <summary>Timings of one CRIS configuration (milliseconds per image unless noted).</summary>
public sealed record CrisBenchmarkResult
{
    public required string Preset { get; init; }
    public required int InputSize { get; init; }
    public required int Batch { get; init; }
    public required int Threads { get; init; }
    public required long Parameters { get; init; }
    /// <summary>Best eval-mode forward (no tape) per image.</summary>
    public double ForwardMsPerImage { get; init; }
    /// <summary>Best training-mode forward + BCE loss + backward per image.</summary>
    public double TrainStepMsPerImage { get; init; }
    /// <summary>Convolutions in the forward pass (timed inside it), per image.</summary>
    public double ForwardConvMsPerImage { get; init; }
    /// <summary>The same convolutions' backward (data + weight gradients) timed one by one in isolation, per image.</summary>
    public double BackwardConvMsPerImage { get; init; }
    public int Convolutions { get; init; }
    /// <summary>Multiply-adds of those convolutions ×2, per image.</summary>
    public double ConvGflopPerImage { get; init; }

    public double ForwardConvShare => ForwardMsPerImage > 0 ? ForwardConvMsPerImage / ForwardMsPerImage : 0;
    public double TrainConvShare => TrainStepMsPerImage > 0 ? (ForwardConvMsPerImage + BackwardConvMsPerImage) / TrainStepMsPerImage : 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"CRIS {Preset} {InputSize}x{InputSize}, batch {Batch}, {Threads} threads, {Parameters:N0} parameters\n" +
        $"  forward (eval):            {ForwardMsPerImage,9:F1} ms/image; convolutions {ForwardConvMsPerImage:F1} ms = {100 * ForwardConvShare:F1} % ({Convolutions} convs, {ConvGflopPerImage:F1} GFLOP -> {ConvGflopPerImage / (ForwardConvMsPerImage / 1000):F1} GFLOPS)\n" +
        $"  forward+backward (train):  {TrainStepMsPerImage,9:F1} ms/image; convolutions ~{ForwardConvMsPerImage + BackwardConvMsPerImage:F1} ms = {100 * TrainConvShare:F1} % (backward convs timed in isolation: {BackwardConvMsPerImage:F1} ms)");
}

/// <summary>
/// CRIS speed on the CPU: eval forward and training step (forward, BCE loss, backward; batch-norm batch statistics)
/// per image, and the share of that time spent in convolutions — forward convolutions timed as they run, their
/// backward passes re-run alone with the recorded shapes (the autograd engine interleaves them with other ops).
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
        var pixels = Tensor.Randn(rng, batch, 3, size, size);
        var ids = RandomIds(rng, batch, model.Config.WordLen, model.ClipArch.VocabSize);
        var target = Tensor.FromArray(Enumerable.Range(0, batch * size * size).Select(_ => rng.NextDouble() < 0.3 ? 1f : 0f).ToArray(), batch, 1, size, size);

        double Time(Action a)
        {
            var sw = Stopwatch.StartNew(); a(); return sw.Elapsed.TotalMilliseconds;
        }

        // Forward, eval, no tape; the first run warms up JIT and buffers.
        model.Eval();
        void Forward() { using (Tensor.NoGrad()) model.Forward(pixels, ids); }
        log?.Invoke($"warm-up forward: {Time(Forward):F0} ms");
        double fwd = double.MaxValue;
        for (int r = 0; r < repeats; r++) { double t = Time(Forward); fwd = Math.Min(fwd, t); log?.Invoke($"forward {r + 1}: {t:F0} ms"); }
        List<CrisConv.ConvCall> calls = new();
        for (int r = 0; r < repeats; r++)
        {
            var c = CrisConv.Record(Forward);
            if (r == 0 || c.Sum(x => x.ForwardMs) < calls.Sum(x => x.ForwardMs)) calls = c;
        }

        // Training step: train mode (batch statistics), loss, backward.
        model.Train();
        void Step()
        {
            foreach (var p in model.Parameters()) p.Value.ZeroGrad();
            var loss = CrisModel.Loss(model.Forward(pixels, ids), target);
            loss.Backward();
        }
        log?.Invoke($"warm-up train step: {Time(Step):F0} ms");
        double train = double.MaxValue;
        for (int r = 0; r < repeats; r++) { double t = Time(Step); train = Math.Min(train, t); log?.Invoke($"train step {r + 1}: {t:F0} ms"); }
        model.Eval();

        // Backward of each recorded convolution alone (data and weight gradients, as in training).
        double bwd = 0;
        foreach (var c in calls)
        {
            var x = Tensor.Randn(rng, c.InputShape); x.RequiresGrad = true;
            var w = Tensor.Randn(rng, c.WeightShape); w.RequiresGrad = true;
            var b = c.Bias ? Tensor.Zeros(c.WeightShape[0]) : null;
            if (b != null) b.RequiresGrad = true;
            double best = double.MaxValue;
            for (int r = 0; r < Math.Max(2, repeats); r++)
            {
                var y = Ops.Conv2d(x, w, b, (1, 1), (c.Padding, c.Padding), (1, 1), c.Groups);
                var g = Tensor.Ones((int[])y.Shape.Clone());
                best = Math.Min(best, Time(() => y.Backward(g)));
                x.ZeroGrad(); w.ZeroGrad(); b?.ZeroGrad();
            }
            bwd += best;
        }
        double gflop = calls.Sum(c =>
        {
            int n = c.InputShape[0], h = c.InputShape[2], wd = c.InputShape[3];
            int oh = h + 2 * c.Padding - c.WeightShape[2] + 1, ow = wd + 2 * c.Padding - c.WeightShape[3] + 1;
            return 2.0 * n * c.WeightShape[0] * oh * ow * c.WeightShape[1] * c.WeightShape[2] * c.WeightShape[3] / 1e9;
        });
        return new CrisBenchmarkResult
        {
            Preset = preset, InputSize = size, Batch = batch, Threads = Environment.ProcessorCount, Parameters = model.ParameterCount(),
            ForwardMsPerImage = fwd / batch, TrainStepMsPerImage = train / batch,
            ForwardConvMsPerImage = calls.Sum(c => c.ForwardMs) / batch, BackwardConvMsPerImage = bwd / batch,
            Convolutions = calls.Count, ConvGflopPerImage = gflop / batch,
        };
    }

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
