using Engine.Models.Cris;
using Engine.Models.Loading;
using Xunit;
using Xunit.Abstractions;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>CRIS against shared/golden/cris_tiny (CRIS.pytorch @ e596332, torch 1.13): eval outputs and every
/// intermediate, training-mode (batch statistics) and frozen-BN gradients, running statistics after the step, and
/// loading from both model.safetensors and CRIS's training .pth. Tolerances are the README's.</summary>
public sealed class CrisConformanceTests
{
    private readonly ITestOutputHelper _log;
    public CrisConformanceTests(ITestOutputHelper log) { _log = log; }

    private static string Tiny => Golden("cris_tiny");

    private static CrisConfig Config => CrisConfig.Load(Path.Combine(Tiny, "cris_tiny.yaml"));

    private static CrisForwardRunner Runner(string weights = "model.safetensors")
        => new(CrisLoader.Load(Config, Path.Combine(Tiny, weights), Device.Cpu));

    private static Dictionary<string, Tensor> TrainInputs()
    {
        var inputs = Read(Tiny, "inputs.safetensors");
        inputs["target"] = Read(Tiny, "train.safetensors")["target"];
        return inputs;
    }

    /// <summary>max|ours − ref| ≤ atol + rtol·max|ref| for every tensor of <paramref name="golden"/>; integers exactly.</summary>
    private double CheckAll(IReadOnlyDictionary<string, Tensor> golden, IReadOnlyDictionary<string, Tensor> ours, double rtol, double atol, Func<string, string>? rename = null)
    {
        double worst = 0;
        foreach (var (name, reference) in golden.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            var key = rename?.Invoke(name) ?? name;
            Assert.True(ours.ContainsKey(key), $"output '{key}' missing (have: {string.Join(", ", ours.Keys.OrderBy(k => k, StringComparer.Ordinal).Take(40))})");
            if (reference.DType != DType.F32)
            {
                Assert.Equal(reference.ToInt64Array(), ours[key].ToInt64Array());
                continue;
            }
            double r = AssertClose(name, ours[key], reference, rtol, atol);
            _log.WriteLine($"{name}: max|diff|/max|ref| {r:E2} (max|ref| {MaxAbs(reference):E2})");
            worst = Math.Max(worst, r);
        }
        return worst;
    }

    [Fact]
    public void Both_weight_formats_load_strictly_and_bit_exactly()
    {
        var file = Read(Tiny, "model.safetensors");
        Assert.Equal(320, file.Count);
        var a = CrisLoader.Load(Config, Path.Combine(Tiny, "model.safetensors"), Device.Cpu).StateDict();
        var b = CrisLoader.Load(Config, Path.Combine(Tiny, "cris.pth"), Device.Cpu);
        Assert.Equal(file.Keys.OrderBy(k => k, StringComparer.Ordinal), a.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var sb = b.StateDict();
        foreach (var (k, t) in file)
        {
            if (t.DType == DType.F32)
            {
                Assert.Equal(t.ToArray(), a[k].ToArray());
                Assert.Equal(t.ToArray(), sb[k].ToArray());
            }
            else
            {
                Assert.Equal(t.ToInt64Array(), a[k].ToInt64Array());
                Assert.Equal(t.ToInt64Array(), sb[k].ToInt64Array());
            }
        }
        Assert.Equal(617156, b.ParameterCount());
        Assert.Equal(new[] { 1, 2, 1, 1 }, b.ClipArch.VisionLayers);
        Assert.Equal((4, 3, 64, 2, 1), (b.ClipArch.VisionWidth, b.ClipArch.PoolGrid, b.ClipArch.EmbedDim, b.ClipArch.VisionHeads, b.ClipArch.TextHeads));
    }

    [Fact]
    public void Eval_outputs_and_intermediates_match_golden()
    {
        using var runner = Runner();
        var r = runner.Run(Read(Tiny, "inputs.safetensors"), new ForwardOptions { RecordIntermediates = true });
        Assert.DoesNotContain(r.Notes, n => n.Contains("pad_mask differs", StringComparison.Ordinal));
        double o = CheckAll(Read(Tiny, "outputs.safetensors"), r.Outputs, 1e-4, 1e-5);
        double i = CheckAll(Read(Tiny, "intermediates.safetensors"), r.Outputs, 1e-4, 1e-5);
        _log.WriteLine($"outputs worst {o:E2}, intermediates worst {i:E2}");
    }

    [Fact]
    public void Pth_checkpoint_gives_identical_predictions()
    {
        var inputs = Read(Tiny, "inputs.safetensors");
        using var a = Runner();
        using var b = Runner("cris.pth");
        var ra = a.Run(inputs, new ForwardOptions());
        var rb = b.Run(inputs, new ForwardOptions());
        Assert.Equal(ra.Outputs["pred_logits"].ToArray(), rb.Outputs["pred_logits"].ToArray());
        CheckAll(Read(Tiny, "outputs.safetensors"), rb.Outputs, 1e-4, 1e-5);
    }

    [Fact]
    public void Training_mode_gradients_match_grads_train_bn()
    {
        using var runner = Runner();
        var r = runner.Run(TrainInputs(), new ForwardOptions { ComputeGradients = true });
        var train = Read(Tiny, "train.safetensors");
        var golden = Read(Tiny, "grads_train_bn.safetensors");
        CheckGradients(golden, r.Gradients!, 2e-3);
        AssertClose("loss_train_bn", r.Outputs["loss_train_bn"], train["loss_train_bn"], 1e-5, 0);
        AssertClose("pred_logits_train_bn", r.Outputs["pred_logits_train_bn"], train["pred_logits_train_bn"], 1e-4, 1e-5);
        Assert.Equal(train["target_resized"].ToArray(), r.Outputs["target_resized"].ToArray());
        var bn = train.Where(kv => kv.Key.StartsWith("bn_after_train_step.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(114, bn.Count); // 38 batch norms x (running_mean, running_var, num_batches_tracked)
        CheckAll(bn, r.Outputs, 1e-5, 0);
        _log.WriteLine($"loss {r.GradientMetadata["loss"]} vs 1.72864664");
    }

    [Fact]
    public void Frozen_bn_gradients_match_grads_frozen_bn()
    {
        using var runner = Runner();
        var r = runner.Run(TrainInputs(), new ForwardOptions { ComputeGradients = true, Flags = new HashSet<string> { CrisForwardRunner.FrozenBnFlag } });
        var train = Read(Tiny, "train.safetensors");
        CheckGradients(Read(Tiny, "grads_frozen_bn.safetensors"), r.Gradients!, 1e-3);
        AssertClose("loss_frozen_bn", r.Outputs["loss_frozen_bn"], train["loss_frozen_bn"], 1e-5, 0);
        AssertClose("pred_logits_frozen_bn", r.Outputs["pred_logits_frozen_bn"], train["pred_logits_frozen_bn"], 1e-4, 1e-5);
        Assert.DoesNotContain(r.Outputs.Keys, k => k.StartsWith("bn_after_train_step.", StringComparison.Ordinal));
    }

    /// <summary>README: atol 1e-6·G (G = the file's largest |gradient|) + rtol·max|ref| per tensor; same key set.</summary>
    private void CheckGradients(IReadOnlyDictionary<string, Tensor> golden, IReadOnlyDictionary<string, Tensor> ours, double rtol)
    {
        Assert.Equal(golden.Keys.OrderBy(k => k, StringComparer.Ordinal), ours.Keys.OrderBy(k => k, StringComparer.Ordinal));
        double g = golden.Values.Max(MaxAbs), atol = 1e-6 * g, worst = 0;
        string worstName = "";
        foreach (var (name, reference) in golden.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            double r = AssertClose("grad " + name, ours[name], reference, rtol, atol);
            if (MaxAbs(reference) > 1e3 * atol && r > worst) { worst = r; worstName = name; }
        }
        _log.WriteLine($"gradients: {golden.Count} tensors, G {g:E3}, worst max|diff|/max|ref| {worst:E2} ({worstName})");
    }
}
