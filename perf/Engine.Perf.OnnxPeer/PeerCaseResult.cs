namespace Engine.Perf.OnnxPeer;

/// <summary>One batch size's comparison (one JSON line with --json; snake_case keys).</summary>
internal sealed record PeerCaseResult(
    string Model, int Size, int Batch, int Threads, int Rounds,
    double EngineBestMs, double EngineMedianMs, double OrtBestMs, double OrtMedianMs, double EngineOverOrt,
    double Gflop, double PeakGflops, double EnginePeakPercent, double OrtPeakPercent,
    double MaxRelDiffLastHidden, double MaxRelDiffImageEmbeds, string OrtVersion,
    double OrtNoSpinBestMs, double OrtNoSpinMedianMs, double OrtSpinningBestMs, double OrtSpinningMedianMs,
    double PairedRatioVsNoSpin, double PairedRatioVsSpinning)
{
    /// <summary>OrtBestMs/OrtMedianMs: the better of ORT's two configurations (without spinning workers, or its default
    /// spinning workers), both timed in every round.</summary>
    public string Line() =>
        $"{Model} {Size} batch {Batch}: engine {EngineBestMs:F1} ms (median {EngineMedianMs:F1}), onnxruntime {OrtBestMs:F1} ms (median {OrtMedianMs:F1}), engine/ort {EngineOverOrt:F2}x" +
        $" [ort without spinning workers {OrtNoSpinBestMs:F1} ms, default spinning workers {OrtSpinningBestMs:F1} ms]";

    /// <summary>Median of the per-round engine/ORT time ratios against each ORT configuration separately.</summary>
    public string PairedLine() =>
        $"  paired per-round engine/ort time, median over {Rounds} rounds: {PairedRatioVsNoSpin:F3}x vs ort without spinning workers, {PairedRatioVsSpinning:F3}x vs its default spinning workers";

    public string PeakLine() =>
        $"  {Gflop:F2} GFLOP per forward (2*MACs); FMA peak {PeakGflops:F1} GFLOPS on {Threads} thread(s): engine {Gflop / (EngineBestMs / 1e3):F1} GFLOPS = {EnginePeakPercent:F1}% of peak, onnxruntime {Gflop / (OrtBestMs / 1e3):F1} GFLOPS = {OrtPeakPercent:F1}%; engine is {EngineBestMs / (Gflop / PeakGflops * 1e3):F2}x the FLOP bound";
}
