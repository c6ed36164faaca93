using Engine.Tests;
using Engine.Weights;
using Xunit;

namespace Engine.Models.Tests;

/// <summary>Golden-data access and the README tolerance checks for the CLIP / CLIPSeg tests.</summary>
internal static class ClipGolden
{
    public static string RepoRoot => RepoPaths.Root;
    public static string Shared => RepoPaths.Shared;
    public static string Golden(string name) => RepoPaths.Golden(name);
    public static string ClipSegTiny => Golden("clipseg_tiny_refined");
    public static string ClipTextTiny => Golden("clip_text_tiny");
    public static string ClipVisionTiny => Golden("clip_vision_tiny");
    public static string ClipVocab => RepoPaths.Vocab("clip");

    public static Dictionary<string, Tensor> Read(string folder, string file) => SafetensorsFile.ReadAll(Path.Combine(folder, file));

    public static double MaxAbs(Tensor t) => t.ToArray().Select(x => Math.Abs((double)x)).DefaultIfEmpty(0).Max();

    public static double MaxAbsDiff(Tensor ours, Tensor reference)
    {
        var a = ours.ToArray(); var b = reference.ToArray();
        double m = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            m = Math.Max(m, d);
        }
        return m;
    }

    /// <summary>Asserts max|ours - ref| &lt;= atol + rtol * max|ref|; returns max|diff| / max|ref| (the error ratio reported).</summary>
    public static double AssertClose(string name, Tensor ours, Tensor reference, double rtol, double atol)
    {
        Assert.True(reference.Shape.SequenceEqual(ours.Shape), $"{name}: shape {Shape.Format(ours.Shape)} vs reference {Shape.Format(reference.Shape)}");
        double diff = MaxAbsDiff(ours, reference), max = MaxAbs(reference), bound = atol + rtol * max;
        Assert.True(diff <= bound, $"{name}: max|diff| {diff:E3} exceeds {bound:E3} (max|ref| {max:E3})");
        return max > 0 ? diff / max : diff;
    }

    /// <summary>
    /// Compares every tensor of a golden file with the README tolerances: activations 1e-4 max|ref| + 1e-6, attention
    /// probabilities atol 1e-5, integer tensors exactly. Returns the worst error ratio.
    /// </summary>
    public static double AssertAllActivations(IReadOnlyDictionary<string, Tensor> golden, IReadOnlyDictionary<string, Tensor> ours, Action<string> log, Func<string, string>? rename = null)
    {
        double worst = 0;
        foreach (var (name, reference) in golden.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            var key = rename?.Invoke(name) ?? name;
            Assert.True(ours.ContainsKey(key), $"output '{key}' missing (have: {string.Join(", ", ours.Keys.OrderBy(k => k, StringComparer.Ordinal))})");
            if (reference.DType != DType.F32)
            {
                Assert.Equal(reference.ToInt64Array(), ours[key].ToInt64Array());
                continue;
            }
            bool attention = name.Contains("attentions.", StringComparison.Ordinal);
            double r = AssertClose(name, ours[key], reference, attention ? 0 : 1e-4, attention ? 1e-5 : 1e-6);
            log($"{name}: max|diff|/max|ref| {r:E2}");
            worst = Math.Max(worst, r);
        }
        return worst;
    }

    /// <summary>
    /// Gradients: per tensor max|diff| &lt;= 1e-3 max|ref|, plus 1e-6 x the file's largest |grad| absolute for tensors
    /// that are mathematically zero and hold float noise (k_proj biases: a key bias shifts all scores of a query
    /// equally, so softmax cancels it). Same key set required. Returns the worst ratio over tensors with |ref| above that noise.
    /// </summary>
    public static double AssertAllGradients(IReadOnlyDictionary<string, Tensor> golden, IReadOnlyDictionary<string, Tensor> ours, Action<string> log)
    {
        Assert.Equal(golden.Keys.OrderBy(k => k, StringComparer.Ordinal), ours.Keys.OrderBy(k => k, StringComparer.Ordinal));
        double g = golden.Values.Max(MaxAbs), noise = 1e-6 * g, worst = 0;
        foreach (var (name, reference) in golden.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            double r = AssertClose("grad " + name, ours[name], reference, 1e-3, noise);
            if (MaxAbs(reference) > 1e3 * noise) worst = Math.Max(worst, r);
        }
        log($"gradients: {golden.Count} tensors, largest |grad| {g:E3}, worst max|diff|/max|ref| {worst:E2}");
        return worst;
    }
}
