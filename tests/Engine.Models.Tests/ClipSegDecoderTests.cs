using Engine.Models.Clip;
using Engine.Models.ClipSeg;
using Engine.Models.Loading;
using Xunit;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>Visual prompts, the plain transposed-conv head, and the decoder used on its own (the reuse API).</summary>
public sealed class ClipSegDecoderTests
{
    [Fact]
    public void Visual_prompt_condition_is_the_projected_pooled_prompt_image()
    {
        // With the query images as prompt images, the condition must equal the golden pooled_output
        // (visual_projection(post_layernorm(CLS))) of those same images.
        var model = ClipSegLoader.Load(ClipSegTiny, Device.Cpu);
        var inputs = Read(ClipSegTiny, "inputs.safetensors");
        var golden = Read(ClipSegTiny, "outputs.safetensors");
        ClipSegOutput o;
        using (Tensor.NoGrad()) o = model.Forward(inputs["pixel_values"], conditionalPixelValues: inputs["pixel_values"]);
        AssertClose("conditional_embeddings (visual prompt)", o.ConditionalEmbeddings, golden["pooled_output"], 1e-4, 1e-6);
        Assert.Null(o.Text);
        Assert.Equal(new[] { 2, 64, 64 }, o.Logits.Shape);
        Assert.Throws<ArgumentException>(() => model.Forward(inputs["pixel_values"]));
    }

    [Fact]
    public void Decoder_runs_on_external_activations_and_broadcasts_prompts_per_image()
    {
        // Reuse path: activations from the tower + a condition, as BiomedCLIPSeg does. Two prompts per image through the
        // broadcast path must equal the images repeated with one prompt each.
        var model = ClipSegLoader.Load(ClipSegTiny, Device.Cpu);
        var inputs = Read(ClipSegTiny, "inputs.safetensors");
        var golden = Read(ClipSegTiny, "outputs.safetensors");
        using (Tensor.NoGrad())
        {
            var (_, acts, _) = model.EncodeImages(inputs["pixel_values"], computePooledOutput: false);
            var logits = model.Decoder.Forward(acts, golden["conditional_embeddings"]);
            AssertClose("logits", logits, golden["logits"], 1e-4, 1e-6);

            var img0 = acts.Select(a => a.Slice(0, 0, 1)).ToList();
            var both = model.Decoder.Forward(img0, golden["conditional_embeddings"]);      // 1 image x 2 prompts
            var repeated = acts.Select(a => Ops.Cat(new[] { a.Slice(0, 0, 1), a.Slice(0, 0, 1) }, 0)).ToList();
            var reference = model.Decoder.Forward(repeated, golden["conditional_embeddings"]);
            AssertClose("broadcast prompts", both, reference, 1e-6, 1e-7);
            Assert.Throws<ArgumentException>(() => model.Decoder.Forward(acts.Take(2).ToList(), golden["conditional_embeddings"]));
        }
    }

    [Fact]
    public void Plain_head_is_one_transposed_conv_with_patch_stride()
    {
        var (cfg, _) = ClipSegPresets.Get("tiny", 1000);
        cfg = cfg with { UseComplexTransposedConvolution = false };
        var model = new ClipSegForImageSegmentation(cfg, new Random(1));
        var keys = model.StateDict().Keys.Where(k => k.StartsWith("decoder.transposed_convolution", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "decoder.transposed_convolution.bias", "decoder.transposed_convolution.weight" }, keys);
        Assert.Equal(new[] { 16, 1, 16, 16 }, model.Decoder.PlainHead!.Weight.Shape);
        var ids = Tensor.FromArray(new long[] { 998, 5, 999 }, 1, 3);
        using (Tensor.NoGrad())
        {
            var o = model.Forward(Tensor.Randn(new Random(2), 1, 3, 96, 96), ids);
            Assert.Equal(new[] { 1, 96, 96 }, o.Logits.Shape);
        }
    }

    [Theory]
    [InlineData("clipseg_tiny_refined", "clipseg")]
    [InlineData("clip_text_tiny", "clip")]
    [InlineData("clip_vision_tiny", "clip")]
    public void Golden_folders_are_detected_by_model_type(string folder, string family)
        => Assert.Equal(family, ModelFamilies.Detect(Golden(folder)).Name);

    [Fact]
    public void Rd64_refined_preset_has_the_cidas_architecture()
    {
        // CIDAS/clipseg-rd64-refined: ViT-B/16 at 224 used at 352, 512-d text, reduce_dim 64, complex head. (Config only:
        // building the 150M-parameter model takes too long for a unit test; the bench builds it.)
        var (cfg, size) = ClipSegPresets.Get("rd64-refined", 49408);
        Assert.Equal(352, size);
        Assert.Equal((768, 12, 12, 3072, 224, 16), (cfg.Vision.HiddenSize, cfg.Vision.NumHiddenLayers, cfg.Vision.NumAttentionHeads, cfg.Vision.IntermediateSize, cfg.Vision.ImageSize, cfg.Vision.PatchSize));
        Assert.Equal((512, 12, 8, 2048, 49408, 2), (cfg.Text.HiddenSize, cfg.Text.NumHiddenLayers, cfg.Text.NumAttentionHeads, cfg.Text.IntermediateSize, cfg.Text.VocabSize, cfg.Text.EosTokenId));
        Assert.Equal((512, 64, 4, 2048, 0, true), (cfg.ProjectionDim, cfg.ReduceDim, cfg.DecoderNumAttentionHeads, cfg.DecoderIntermediateSize, cfg.ConditionalLayer, cfg.UseComplexTransposedConvolution));
        Assert.Equal(new[] { 3, 6, 9 }, cfg.ExtractLayers);
        // The written config.json reads back to the same record.
        var path = Path.Combine(Path.GetTempPath(), "rd64-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        try
        {
            File.WriteAllText(path, cfg.ToJson().ToJsonString());
            var back = ClipSegConfig.FromJson(JsonConfig.Parse(path));
            Assert.Equal(cfg.Text, back.Text);
            Assert.Equal(cfg.Vision, back.Vision);
            Assert.Equal(cfg.ExtractLayers, back.ExtractLayers);
            Assert.Equal(cfg with { ExtractLayers = back.ExtractLayers }, back);
        }
        finally { File.Delete(path); }
    }
}
