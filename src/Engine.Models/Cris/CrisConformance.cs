using System.Globalization;
using Engine.Models.Loading;
using Engine.Weights;

namespace Engine.Models.Cris;

/// <summary>One golden file compared: tensors checked, the worst max|ours − ref| / max|ref| and its tensor, and whether
/// every tensor met its tolerance (max|ours − ref| ≤ atol + rtol·max|ref|).</summary>
public sealed record CrisConformanceRow(string Source, string File, int Tensors, double WorstRatio, string WorstTensor, bool Passed, string? Failure)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{(Passed ? "ok  " : "FAIL")} {Source,-18} {File,-32} {Tensors,4} tensors  worst {WorstRatio:E2} ({WorstTensor}){(Failure is null ? "" : "  " + Failure)}");
}

/// <summary>
/// Runs a CRIS golden case folder (shared/golden/cris_tiny layout: *.yaml, model.safetensors, cris.pth, inputs,
/// outputs, intermediates, train, grads_train_bn, grads_frozen_bn) with the README's tolerances, from both weight files.
/// Backs <c>engine cris check</c>; the unit tests assert the same numbers independently.
/// </summary>
public static class CrisConformance
{
    public static IReadOnlyList<CrisConformanceRow> Check(string goldenDir, Action<string>? log = null)
    {
        var folder = ModelFolder.Open(goldenDir);
        var config = CrisLoader.ReadConfig(folder);
        var inputs = Read(goldenDir, "inputs.safetensors");
        var train = Read(goldenDir, "train.safetensors");
        var trainInputs = new Dictionary<string, Tensor>(inputs, StringComparer.Ordinal) { ["target"] = train["target"] };
        var rows = new List<CrisConformanceRow>();
        foreach (var weights in new[] { "model.safetensors", "cris.pth" })
        {
            var path = Path.Combine(goldenDir, weights);
            if (!File.Exists(path)) continue;
            using var runner = new CrisForwardRunner(CrisLoader.Load(config, path, Device.Cpu));
            var eval = runner.Run(inputs, new ForwardOptions { RecordIntermediates = true });
            rows.Add(Compare(weights, "outputs.safetensors", Read(goldenDir, "outputs.safetensors"), eval.Outputs, 1e-4, 1e-5));
            rows.Add(Compare(weights, "intermediates.safetensors", Read(goldenDir, "intermediates.safetensors"), eval.Outputs, 1e-4, 1e-5));
            log?.Invoke($"{weights}: eval done");
            foreach (var (flag, file, rtol) in new[] { ((string?)null, "grads_train_bn.safetensors", 2e-3), (CrisForwardRunner.FrozenBnFlag, "grads_frozen_bn.safetensors", 1e-3) })
            {
                var flags = new HashSet<string>(StringComparer.Ordinal);
                if (flag != null) flags.Add(flag);
                var r = runner.Run(trainInputs, new ForwardOptions { ComputeGradients = true, Flags = flags });
                var golden = Read(goldenDir, file);
                double g = golden.Values.Max(MaxAbs);
                rows.Add(Compare(weights, file, golden, r.Gradients!, rtol, 1e-6 * g, ignoreBelow: 1e-3 * g));
                string suffix = flag is null ? "_train_bn" : "_frozen_bn";
                var t = train.Where(kv => kv.Key.EndsWith(suffix, StringComparison.Ordinal) || (flag is null && (kv.Key.StartsWith("bn_after_train_step.", StringComparison.Ordinal) || kv.Key == "target_resized")))
                    .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                rows.Add(Compare(weights, "train.safetensors" + (flag is null ? " (train BN)" : " (frozen BN)"), t, r.Outputs, 1e-5, 0, looseLogits: true));
                log?.Invoke($"{weights}: {file} done");
            }
        }
        return rows;
    }

    private static Dictionary<string, Tensor> Read(string dir, string file) => SafetensorsFile.ReadAll(Path.Combine(dir, file));

    private static double MaxAbs(Tensor t) => t.DType == DType.F32 ? t.ToArray().Select(x => Math.Abs((double)x)).DefaultIfEmpty(0).Max() : 0;

    /// <param name="ignoreBelow">tensors whose max|ref| is at most this are checked but left out of the worst ratio
    /// (mathematically zero gradients holding float noise).</param>
    /// <param name="looseLogits">pred_logits_* use the forward tolerance (1e-4, atol 1e-5) instead of rtol/atol.</param>
    private static CrisConformanceRow Compare(string source, string file, IReadOnlyDictionary<string, Tensor> golden, IReadOnlyDictionary<string, Tensor> ours,
        double rtol, double atol, double ignoreBelow = 0, bool looseLogits = false)
    {
        double worst = 0; string worstName = "-"; string? failure = null;
        foreach (var (name, reference) in golden.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            if (!ours.TryGetValue(name, out var mine)) { failure ??= $"missing {name}"; continue; }
            if (!mine.Shape.SequenceEqual(reference.Shape)) { failure ??= $"{name}: shape {Shape.Format(mine.Shape)} vs {Shape.Format(reference.Shape)}"; continue; }
            if (reference.DType != DType.F32)
            {
                if (!mine.ToInt64Array().SequenceEqual(reference.ToInt64Array())) failure ??= $"{name}: integer values differ";
                continue;
            }
            var a = mine.ToArray(); var b = reference.ToArray();
            double diff = 0, max = 0;
            for (int i = 0; i < a.Length; i++)
            {
                double d = Math.Abs((double)a[i] - b[i]);
                diff = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(diff, d);
                max = Math.Max(max, Math.Abs((double)b[i]));
            }
            bool logits = looseLogits && name.StartsWith("pred_logits", StringComparison.Ordinal);
            double bound = logits ? 1e-5 + 1e-4 * max : atol + rtol * max;
            if (!(diff <= bound)) failure ??= string.Create(CultureInfo.InvariantCulture, $"{name}: max|diff| {diff:E2} > {bound:E2}");
            double ratio = max > 0 ? diff / max : diff;
            if (max > ignoreBelow && ratio > worst) { worst = ratio; worstName = name; }
        }
        return new CrisConformanceRow(source, file, golden.Count, worst, worstName, failure is null, failure);
    }
}
