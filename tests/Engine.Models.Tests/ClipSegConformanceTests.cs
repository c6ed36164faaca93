using Engine.Models.ClipSeg;
using Engine.Models.Loading;
using Xunit;
using Xunit.Abstractions;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>CLIPSeg against shared/golden/clipseg_tiny_refined (transformers 4.40.2): every tensor of outputs.safetensors,
/// outputs_96.safetensors (position interpolation), grads.safetensors (frozen towers) and grads_full_graph.safetensors.</summary>
public sealed class ClipSegConformanceTests
{
    private readonly ITestOutputHelper _log;
    public ClipSegConformanceTests(ITestOutputHelper log) { _log = log; }

    private static IForwardRunner OpenRunner()
    {
        var folder = ModelFolder.Open(ClipSegTiny);
        var family = ModelFamilies.Detect(folder);
        Assert.IsType<ClipSegFamily>(family);
        return family.OpenForwardRunner(folder, Device.Cpu);
    }

    [Fact]
    public void Folder_loads_strictly_with_the_golden_keys()
    {
        var model = ClipSegLoader.Load(ClipSegTiny, Device.Cpu);
        var file = Read(ClipSegTiny, "model.safetensors");
        var sd = model.StateDict();
        Assert.Equal(file.Keys.OrderBy(k => k, StringComparer.Ordinal), sd.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (k, t) in file) Assert.Equal(t.ToArray(), sd[k].ToArray());
        Assert.Equal(new[] { 1, 2, 3 }, model.Config.ExtractLayers);
        Assert.True(model.Config.UseComplexTransposedConvolution);
        Assert.Equal(2, model.Config.Text.EosTokenId);
    }

    [Fact]
    public void Outputs_and_intermediates_match_golden()
    {
        using var runner = OpenRunner();
        var r = runner.Run(Read(ClipSegTiny, "inputs.safetensors"), new ForwardOptions { RecordIntermediates = true });
        double worst = AssertAllActivations(Read(ClipSegTiny, "outputs.safetensors"), r.Outputs, _log.WriteLine);
        _log.WriteLine($"outputs.safetensors worst ratio {worst:E2}");
    }

    [Fact]
    public void Outputs_96_with_interpolated_position_table_match_golden()
    {
        using var runner = OpenRunner();
        var r = runner.Run(Read(ClipSegTiny, "inputs_96.safetensors"), new ForwardOptions { RecordIntermediates = true });
        var golden = Read(ClipSegTiny, "outputs_96.safetensors");
        Assert.Contains("vision.interpolated_position_embedding", golden.Keys);
        double worst = AssertAllActivations(golden, r.Outputs, _log.WriteLine);
        _log.WriteLine($"outputs_96.safetensors worst ratio {worst:E2}");
    }

    [Fact]
    public void Interpolated_position_table_is_reused_without_gradients_and_remade_when_the_weight_changes()
    {
        var model = ClipSegLoader.Load(ClipSegTiny, Device.Cpu);
        var emb = model.Clip.VisionModel.Embeddings;
        var pixels = Read(ClipSegTiny, "inputs_96.safetensors")["pixel_values"];
        float[] Kept() { using (Tensor.NoGrad()) return emb.Forward(pixels).ToArray(); }
        float[] Fresh() => emb.Forward(pixels).ToArray(); // gradient recording on: resized afresh
        // As the segmenters run it: the table is made inside the caller's TensorScope and must outlive it.
        float[] Scoped() => TensorScope.Infer(() => emb.Forward(pixels)).ToArray();
        var first = Scoped();
        Assert.Equal(first, Scoped());
        Assert.Equal(first, Kept());
        Assert.Equal(first, Fresh());

        // An optimiser step (in place, version bumped) and a replaced weight both invalidate the kept table.
        var weight = emb.PositionEmbedding.Weight;
        weight.Value.Grad = Tensor.Full(1f, weight.Shape);
        new Engine.Nn.Optim.Sgd(new[] { ("pos", weight) }, lr: 0.5).Step();
        var afterStep = Scoped();
        Assert.NotEqual(first, afterStep);
        Assert.Equal(afterStep, Kept());
        Assert.Equal(Fresh(), afterStep);
        weight.Value = Tensor.Randn(new Random(3), weight.Shape);
        Assert.Equal(Fresh(), Kept());
    }

    [Fact]
    public void Fused_attention_path_gives_the_same_logits()
    {
        // Without a sink the attention layers use the fused kernel instead of explicit softmax(q k^T) v.
        using var runner = OpenRunner();
        var golden = Read(ClipSegTiny, "outputs.safetensors");
        var r = runner.Run(Read(ClipSegTiny, "inputs.safetensors"), new ForwardOptions());
        foreach (var name in new[] { "logits", "conditional_embeddings", "pooled_output", "loss" })
            _log.WriteLine($"{name}: {AssertClose(name, r.Outputs[name], golden[name], 1e-4, 1e-6):E2}");
        Assert.DoesNotContain("vision.hidden_states.0", r.Outputs.Keys);
    }

    [Fact]
    public void Gradients_with_frozen_encoders_match_hf_training_semantics()
    {
        using var runner = OpenRunner();
        var r = runner.Run(Read(ClipSegTiny, "inputs.safetensors"),
            new ForwardOptions { ComputeGradients = true, Flags = new HashSet<string> { ClipSegForwardRunner.FreezeEncodersFlag } });
        var golden = Read(ClipSegTiny, "grads.safetensors");
        Assert.Equal(64, golden.Count);
        AssertAllGradients(golden, r.Gradients!, _log.WriteLine);
        AssertClose("loss", r.Outputs["loss"], Read(ClipSegTiny, "outputs.safetensors")["loss"], 1e-4, 1e-6);
        Assert.Contains("clip.text_projection.weight", r.GradientMetadata["params_without_grad"]);
    }

    [Fact]
    public void Gradients_through_the_whole_network_match_full_graph_golden()
    {
        using var runner = OpenRunner();
        var r = runner.Run(Read(ClipSegTiny, "inputs.safetensors"), new ForwardOptions { ComputeGradients = true });
        var golden = Read(ClipSegTiny, "grads_full_graph.safetensors");
        AssertAllGradients(golden, r.Gradients!, _log.WriteLine);
        foreach (var zero in new[] { "clip.logit_scale", "clip.vision_model.post_layernorm.weight", "clip.visual_projection.weight" })
            Assert.All(r.Gradients![zero].ToArray(), v => Assert.Equal(0f, v));
    }
}
