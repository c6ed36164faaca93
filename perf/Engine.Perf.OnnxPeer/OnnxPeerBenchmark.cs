using System.Diagnostics;
using Engine.Kernels.Cpu;
using Engine.Models.Clip;
using Engine.Models.Loading;
using Microsoft.ML.OnnxRuntime;

namespace Engine.Perf.OnnxPeer;

/// <summary>
/// Our CLIP ViT-B/16 vision tower against ONNX Runtime running the same network, in one process on the same machine:
/// the model is built with random weights exactly as <c>engine bench model --model vit-b16</c> builds it
/// (perf/Engine.Perf/ModelWorkloads.cs), exported to ONNX with its own parameters as initializers, both sides run the
/// same random pixels, their outputs must agree (which proves the ONNX graph is the same model), and then both are
/// timed alternately.
/// </summary>
internal sealed class OnnxPeerBenchmark
{
    /// <summary>Largest accepted max|engine - ort| / max|engine| of either output.</summary>
    public const double Tolerance = 1e-3;
    private const int ImageSize = 224;

    private readonly PeerOptions _o;
    private readonly Action<string> _log;

    public OnnxPeerBenchmark(PeerOptions options, Action<string> log) { _o = options; _log = log; }

    /// <summary>ORT's CPU session options as the peer uses them; spinning: false blocks idle intra-op workers at once.</summary>
    internal static SessionOptions OrtOptions(int threads, bool spinning)
    {
        var o = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (!spinning) o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return o;
    }

    /// <summary>The config ModelWorkloads uses for "vit-b16" at 224x224.</summary>
    public static ClipVisionConfig VitB16Config => new()
    {
        HiddenSize = 768, IntermediateSize = 3072, NumHiddenLayers = 12, NumAttentionHeads = 12,
        ImageSize = ImageSize, PatchSize = 16, ProjectionDim = 512,
    };

    /// <summary>Runs every batch size, yielding each result as soon as it is measured. Throws
    /// <see cref="OutputMismatchException"/> (before that batch is timed) when the two sides' outputs disagree.</summary>
    public IEnumerable<PeerCaseResult> Run()
    {
        int threads = _o.Threads;
        KernelThreading.MaxThreads = threads;
        string ortVersion = OrtEnv.Instance().GetVersionString();
        _log($"threads {threads} (Environment.ProcessorCount {Environment.ProcessorCount}), ONNX Runtime {ortVersion}");

        _log("measuring the FMA peak ...");
        double peak = FmaPeak.MeasureGflops(threads, repeats: 3, iterations: 5_000_000);

        var config = VitB16Config;
        // Same construction as ModelWorkloads.VitB16: one Random(seed) for the module tree and ClipInitialization.
        var rng = new Random(_o.Seed);
        var model = new ClipVisionModelWithProjection(config, rng);
        ClipInitialization.Apply(model, rng, config.NumHiddenLayers);
        model.SetRequiresGrad(true);
        model.Eval();
        model.PackForInference(); // as ModelWorkloads and the segmenters: weights packed once for inference
        _log($"vit-b16: {model.ParameterCount():N0} parameters, {ImageSize}x{ImageSize} inputs, seed {_o.Seed}");

        var sw = Stopwatch.StartNew();
        byte[] onnx = VitOnnxExport.Build(model, out int nodes);
        _log($"ONNX model: opset {VitOnnxExport.Opset}, {nodes} nodes, {onnx.Length / 1048576.0:F1} MiB, written in {sw.Elapsed.TotalSeconds:F1} s");
        if (_o.OnnxPath is not null) { File.WriteAllBytes(_o.OnnxPath, onnx); _log($"saved {_o.OnnxPath}"); }

        // Two sessions of the same model, both timed in every round: ORT with its worker threads blocking as soon as a
        // run ends ("session.intra_op.allow_spinning" = 0) and ORT's default configuration (spinning workers); the
        // better of the two is the reference. The engine's run comes 300 ms after the spinning session's: ORT's idle
        // spinning workers took CPU from an engine run started 30 ms after it (our GEMMs measured ~25 % slower).
        using var sessionOptions = OrtOptions(threads, spinning: false);
        using var spinningOptions = OrtOptions(threads, spinning: true);
        sw.Restart();
        using var session = new InferenceSession(onnx, sessionOptions);
        using var spinningSession = new InferenceSession(onnx, spinningOptions);
        if (_o.ProfileRuns == 0) onnx = Array.Empty<byte>(); // the profile makes a third, profiling session from it
        _log($"ONNX Runtime session created in {sw.Elapsed.TotalSeconds:F1} s");

        double gflopPerImage = VitFlops.PerImage(config) / 1e9;
        foreach (int b in _o.Batches)
        {
            var r = RunBatch(model, session, spinningSession, onnx, b, gflopPerImage * b, peak, ortVersion);
            peak = Math.Max(peak, r.PeakGflops);
            yield return r;
        }
    }

    private PeerCaseResult RunBatch(ClipVisionModelWithProjection model, InferenceSession session, InferenceSession spinningSession,
        byte[] onnx, int b, double gflop, double peak, string ortVersion)
    {
        var c = model.Config;
        int tokens = c.GridSize * c.GridSize + 1;
        // The same pixels ModelWorkloads times for this batch size.
        var pixels = Tensor.Randn(new Random(_o.Seed + b), b, c.NumChannels, c.ImageSize, c.ImageSize);

        var hiddenOut = new float[b * tokens * c.HiddenSize];
        var embedsOut = new float[b * c.ProjectionDim];
        using var input = OrtValue.CreateTensorValueFromMemory(pixels.ToArray(), new long[] { b, c.NumChannels, c.ImageSize, c.ImageSize });
        using var hiddenValue = OrtValue.CreateTensorValueFromMemory(hiddenOut, new long[] { b, tokens, c.HiddenSize });
        using var embedsValue = OrtValue.CreateTensorValueFromMemory(embedsOut, new long[] { b, c.ProjectionDim });
        using var runOptions = new RunOptions();
        var inputNames = new[] { VitOnnxExport.Input };
        var inputs = new[] { input };
        var outputNames = new[] { VitOnnxExport.LastHidden, VitOnnxExport.ImageEmbeds };
        var outputs = new[] { hiddenValue, embedsValue };

        // Both sides write their outputs into buffers allocated once (ORT through the bound OrtValues); the engine's
        // step runs in a TensorScope, so its temporaries go back to the pool as a serving host's would.
        var ourHidden = new float[b * tokens * c.HiddenSize];
        var ourEmbeds = new float[b * c.ProjectionDim];
        void Engine() => TensorScope.Infer(() =>
        {
            var (o, e) = model.Forward(pixels);
            o.LastHiddenState.Contiguous().AsSpan().CopyTo(ourHidden);
            e.Contiguous().AsSpan().CopyTo(ourEmbeds);
        });
        void Ort() => session.Run(runOptions, inputNames, inputs, outputNames, outputs);

        _log($"batch {b}: checking that both sides compute the same outputs ...");
        Engine();
        Ort();
        double dHidden = MaxRelativeDiff(ourHidden, hiddenOut), dEmbeds = MaxRelativeDiff(ourEmbeds, embedsOut);
        _log($"batch {b}: max|diff|/max|ref| last_hidden_state {dHidden:E2}, image_embeds {dEmbeds:E2} (tolerance {Tolerance:E0}; ref = engine)");
        // Not NaN-safe as "> Tolerance" would be: MaxRelativeDiff maps NaN to infinity.
        if (!(dHidden <= Tolerance && dEmbeds <= Tolerance))
            throw new OutputMismatchException($"batch {b}: the engine and ONNX Runtime outputs differ (max|diff|/max|engine|: last_hidden_state {dHidden:E2}, image_embeds {dEmbeds:E2}; tolerance {Tolerance:E0}), so the ONNX graph is not the same model; nothing was timed.");

        _log($"batch {b}: timing {_o.Rounds} interleaved rounds after {_o.Warmup} warm-up run(s) per side ...");
        // The peak is sampled between rounds too: on a shared machine a single up-front measurement can land in a busy
        // moment and understate it (then both sides would show more than 100% of "peak").
        // Rounds of three runs: the engine, ORT without spinning workers, ORT in its default configuration (spinning
        // workers). The engine's run waits 300 ms after the spinning ORT run, so ORT's idle spinning is over.
        void OrtSpinning() => spinningSession.Run(runOptions, inputNames, inputs, outputNames, outputs);
        var timings = InterleavedTiming.Run(new InterleavedTiming.Side[]
            {
                new(Engine, TimeSpan.FromMilliseconds(300)),
                new(Ort, TimeSpan.FromMilliseconds(30)),
                new(OrtSpinning, TimeSpan.FromMilliseconds(30)),
            }, _o.Warmup, _o.Rounds,
            afterRound: () => peak = Math.Max(peak, FmaPeak.Burst(_o.Threads, 100)), log: m => _log($"batch {b}: {m}"));
        var (ours, ort, ortSpinning) = (timings[0], timings[1], timings[2]);

        var ortBetter = ortSpinning.BestMs < ort.BestMs ? ortSpinning : ort;

        if (_o.ProfileRuns > 0)
            SideBySideProfile.Run(Engine, onnx, _o.Threads, s => s.Run(runOptions, inputNames, inputs, outputNames, outputs), _o.ProfileRuns, Console.Error);
        double Percent(double ms) => gflop / (ms / 1e3) / peak * 100;
        return new PeerCaseResult("vit-b16", c.ImageSize, b, _o.Threads, _o.Rounds,
            ours.BestMs, ours.MedianMs, ortBetter.BestMs, ortBetter.MedianMs, ours.BestMs / ortBetter.BestMs,
            gflop, peak, Percent(ours.BestMs), Percent(ortBetter.BestMs), dHidden, dEmbeds, ortVersion,
            ort.BestMs, ort.MedianMs, ortSpinning.BestMs, ortSpinning.MedianMs,
            InterleavedTiming.PairedMedianRatio(ours.RunsMs, ort.RunsMs), InterleavedTiming.PairedMedianRatio(ours.RunsMs, ortSpinning.RunsMs));
    }

    /// <summary>max|a - b| / max|a|; NaN anywhere counts as infinitely different.</summary>
    public static double MaxRelativeDiff(float[] reference, float[] other)
    {
        if (reference.Length != other.Length) throw new ArgumentException($"output lengths differ: {reference.Length} vs {other.Length}.");
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double d = Math.Abs((double)reference[i] - other[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            maxDiff = Math.Max(maxDiff, d);
            maxRef = Math.Max(maxRef, Math.Abs(reference[i]));
        }
        return maxRef > 0 ? maxDiff / maxRef : maxDiff;
    }
}
