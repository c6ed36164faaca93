using Engine.Models.Clip;
using Engine.Models.Loading;
using Xunit;
using Xunit.Abstractions;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>CLIP text and vision towers against shared/golden/clip_text_tiny and clip_vision_tiny.</summary>
public sealed class ClipTowerConformanceTests
{
    private readonly ITestOutputHelper _log;
    public ClipTowerConformanceTests(ITestOutputHelper log) { _log = log; }

    private static IForwardRunner Open(string dir)
    {
        var folder = ModelFolder.Open(dir);
        var family = ModelFamilies.Detect(folder);
        Assert.IsType<ClipFamily>(family);
        return family.OpenForwardRunner(folder, Device.Cpu);
    }

    private static ClipTextModelWithProjection LoadText(int? eosOverride = null)
    {
        var folder = ModelFolder.Open(ClipTextTiny);
        var cfg = ClipTextConfig.FromJson(folder.Config!);
        if (eosOverride is int e) cfg = cfg with { EosTokenId = e };
        return ModelLoader.LoadHuggingFace(folder, () => new ClipTextModelWithProjection(cfg), Device.Cpu);
    }

    [Fact]
    public void Text_outputs_intermediates_and_gradients_match_golden()
    {
        using var runner = Open(ClipTextTiny);
        var inputs = Read(ClipTextTiny, "inputs.safetensors");
        var r = runner.Run(inputs, new ForwardOptions { ComputeGradients = true, RecordIntermediates = true });
        var golden = Read(ClipTextTiny, "outputs.safetensors")
            .Where(kv => !kv.Key.StartsWith("probe.", StringComparison.Ordinal) && !kv.Key.StartsWith("no_attention_mask.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        double worst = AssertAllActivations(golden, r.Outputs, _log.WriteLine);
        _log.WriteLine($"clip_text outputs worst ratio {worst:E2}");
        AssertAllGradients(Read(ClipTextTiny, "grads.safetensors"), r.Gradients!, _log.WriteLine);
        Assert.Contains(r.Notes, n => n.Contains("probe_input_ids", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_without_attention_mask_uses_the_causal_mask_only()
    {
        using var runner = Open(ClipTextTiny);
        var inputs = Read(ClipTextTiny, "inputs.safetensors");
        var r = runner.Run(new Dictionary<string, Tensor> { ["input_ids"] = inputs["input_ids"] }, new ForwardOptions());
        var golden = Read(ClipTextTiny, "outputs.safetensors").Where(kv => kv.Key.StartsWith("no_attention_mask.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(3, golden.Count);
        AssertAllActivations(golden, r.Outputs, _log.WriteLine, n => n["no_attention_mask.".Length..]);
    }

    [Theory]
    [InlineData(2, "legacy_argmax_rule")]
    [InlineData(999, "first_eos_rule")]
    public void Pooling_rule_depends_on_eos_token_id(int eos, string rule)
    {
        var model = LoadText(eos);
        var inputs = Read(ClipTextTiny, "inputs.safetensors");
        var golden = Read(ClipTextTiny, "outputs.safetensors");
        using (Tensor.NoGrad())
        {
            var (o, _) = model.Forward(inputs["probe_input_ids"]);
            Assert.Equal(golden[$"probe.pooled_index.{rule}"].ToInt64Array(), o.PooledPositions);
            AssertClose("probe.last_hidden_state", o.LastHiddenState, golden["probe.last_hidden_state"], 1e-4, 1e-6);
            AssertClose($"probe.pooler_output.{rule}", o.PooledOutput, golden[$"probe.pooler_output.{rule}"], 1e-4, 1e-6);
        }
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_are_an_error()
    {
        var model = LoadText();
        var ids = Tensor.FromArray(new long[] { 998, 5, 1000, 999 }, 1, 4);
        using (Tensor.NoGrad())
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(ids));
            Assert.Contains("1000", e.Message);
            Assert.Contains("vocabulary", e.Message);
        }
    }

    [Fact]
    public void Vision_outputs_intermediates_and_gradients_match_golden()
    {
        using var runner = Open(ClipVisionTiny);
        var r = runner.Run(Read(ClipVisionTiny, "inputs.safetensors"), new ForwardOptions { ComputeGradients = true, RecordIntermediates = true });
        double worst = AssertAllActivations(Read(ClipVisionTiny, "outputs.safetensors"), r.Outputs, _log.WriteLine);
        _log.WriteLine($"clip_vision outputs worst ratio {worst:E2}");
        AssertAllGradients(Read(ClipVisionTiny, "grads.safetensors"), r.Gradients!, _log.WriteLine);
    }

    [Fact]
    public void Plain_clip_vision_rejects_a_different_grid_like_transformers()
    {
        using var runner = Open(ClipVisionTiny);
        var px = Tensor.Zeros(1, 3, 96, 96);
        var e = Assert.Throws<ArgumentException>(() => runner.Run(new Dictionary<string, Tensor> { ["pixel_values"] = px }, new ForwardOptions()));
        Assert.Contains("do not interpolate", e.Message);
    }
}
