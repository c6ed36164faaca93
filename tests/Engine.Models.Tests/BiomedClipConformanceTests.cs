using Engine.Models.BiomedClip;
using Engine.Models.Loading;
using Xunit;
using Xunit.Abstractions;
using static Engine.Models.Tests.BiomedClipTestData;

namespace Engine.Models.Tests;

/// <summary>BiomedCLIP (open_clip CustomTextCLIP: timm ViT + HF BERT) against shared/golden/biomedclip_tiny.
/// Tolerances from its README: features/intermediates atol 1e-5 + rtol 1e-4; logits atol 1e-4 + rtol 1e-4; loss 1e-5
/// absolute; gradients rtol 1e-3 with atol 1e-6 * G.</summary>
public sealed class BiomedClipConformanceTests
{
    private readonly ITestOutputHelper _log;
    public BiomedClipConformanceTests(ITestOutputHelper log) { _log = log; }

    [Fact]
    public void Config_is_resolved_from_open_clip_config_arch_and_shapes()
    {
        var state = Read(BiomedClipTiny, "open_clip_model.safetensors");
        var c = BiomedClipConfig.Resolve(BiomedClipTiny, state);
        Assert.Equal(32, c.EmbedDim);
        Assert.Equal((64, 16, 64, 3, 4, 256), (c.Vision.ImageSize, c.Vision.PatchSize, c.Vision.Width, c.Vision.Depth, c.Vision.Heads, c.Vision.MlpHidden));
        Assert.Equal(1e-6f, c.Vision.LayerNormEps);
        Assert.Equal((256, 64, 2, 4, 256, 256), (c.Text.VocabSize, c.Text.HiddenSize, c.Text.NumHiddenLayers, c.Text.NumAttentionHeads, c.Text.IntermediateSize, c.Text.MaxPositionEmbeddings));
        Assert.Equal(1e-12f, c.Text.LayerNormEps);
        Assert.False(c.Text.AddPoolingLayer);
        Assert.Equal(256, c.ContextLength);
        Assert.Equal(BiomedClipConfig.OpenAiMean, c.Mean);
        var model = new BiomedClipModel(c);
        Assert.Equal(340097, model.ParameterCount());
        Assert.Equal(48, model.Text.Proj.HiddenDim);
    }

    [Fact]
    public void Released_base_config_has_the_documented_shapes()
    {
        var c = BiomedClipConfig.Base;
        Assert.Equal((224, 16, 768, 12, 12, 3072), (c.Vision.ImageSize, c.Vision.PatchSize, c.Vision.Width, c.Vision.Depth, c.Vision.Heads, c.Vision.MlpHidden));
        Assert.Equal((30522, 768, 12, 12, 3072, 512), (c.Text.VocabSize, c.Text.HiddenSize, c.Text.NumHiddenLayers, c.Text.NumAttentionHeads, c.Text.IntermediateSize, c.Text.MaxPositionEmbeddings));
        Assert.Equal(512, c.EmbedDim);
        Assert.Equal(640, (c.Text.HiddenSize + c.EmbedDim) / 2);
    }

    [Fact]
    public void Bin_and_safetensors_load_to_bit_identical_tensors()
    {
        var a = BiomedClipFolder.Load(BiomedClipTiny, Path.Combine(BiomedClipTiny, "open_clip_model.safetensors")).StateDict();
        var b = BiomedClipFolder.Load(BiomedClipTiny, Path.Combine(BiomedClipTiny, "open_clip_pytorch_model.bin")).StateDict();
        var file = Read(BiomedClipTiny, "open_clip_model.safetensors");
        Assert.Equal(83, a.Count);
        Assert.Equal(file.Keys.OrderBy(k => k, StringComparer.Ordinal), a.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(a.Keys.OrderBy(k => k, StringComparer.Ordinal), b.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (k, t) in file)
        {
            Assert.Equal(t.Shape, a[k].Shape);
            Assert.Equal(t.Shape, b[k].Shape);
            var x = t.ToArray(); var y = a[k].ToArray(); var z = b[k].ToArray();
            for (int i = 0; i < x.Length; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(x[i]), BitConverter.SingleToInt32Bits(y[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits(x[i]), BitConverter.SingleToInt32Bits(z[i]));
            }
        }
    }

    [Fact]
    public void Forward_runner_matches_outputs_intermediates_loss_and_gradients()
    {
        var family = ModelFamilies.Detect(BiomedClipTiny);
        Assert.IsType<BiomedClipFamily>(family);
        using var runner = family.OpenForwardRunner(ModelFolder.Open(BiomedClipTiny), Device.Cpu);
        var inputs = Read(BiomedClipTiny, "inputs.safetensors");
        var r = runner.Run(inputs, new ForwardOptions { ComputeGradients = true, RecordIntermediates = true });

        foreach (var (name, reference) in Read(BiomedClipTiny, "outputs.safetensors").OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            Assert.True(r.Outputs.ContainsKey(name), $"output '{name}' missing");
            bool logits = name.StartsWith("logit", StringComparison.Ordinal);
            double d = AssertClose(name, r.Outputs[name], reference, 1e-4, logits ? 1e-4 : 1e-5);
            _log.WriteLine($"{name}: max|diff| {d:E2}");
        }
        foreach (var (name, reference) in Read(BiomedClipTiny, "intermediates.safetensors").OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            Assert.True(r.Outputs.ContainsKey(name), $"intermediate '{name}' missing");
            double d = AssertClose(name, r.Outputs[name], reference, 1e-4, 1e-5);
            _log.WriteLine($"{name}: max|diff| {d:E2}");
        }
        var train = Read(BiomedClipTiny, "train.safetensors");
        double lossDiff = Math.Abs(r.Outputs["loss"].Item() - train["loss"].Item());
        _log.WriteLine($"loss {r.Outputs["loss"].Item():R} vs {train["loss"].Item():R}: {lossDiff:E2}");
        Assert.True(lossDiff <= 1e-5, $"loss differs by {lossDiff:E3}");
        AssertClose("train.logits_per_image", r.Outputs["train.logits_per_image"], train["logits_per_image"], 1e-4, 1e-4);
        Assert.Equal(train["labels"].ToInt64Array(), r.Outputs["train.labels"].ToInt64Array());

        var grads = Read(BiomedClipTiny, "grads.safetensors");
        Assert.NotNull(r.Gradients);
        Assert.Equal(grads.Keys.OrderBy(k => k, StringComparer.Ordinal), r.Gradients!.Keys.OrderBy(k => k, StringComparer.Ordinal));
        double g = grads.Values.Max(MaxAbs), worst = 0;
        string worstName = "";
        foreach (var (name, reference) in grads)
        {
            double d = AssertClose("grad " + name, r.Gradients[name], reference, 1e-3, 1e-6 * g);
            double rel = d / Math.Max(MaxAbs(reference), 1e-6 * g);
            if (rel > worst) { worst = rel; worstName = name; }
        }
        _log.WriteLine($"gradients: worst max|diff|/max|ref| {worst:E2} ({worstName}), G = {g:E3}");
        // Padding row 0 of the word table gets no gradient (nn.Embedding(padding_idx=0)); token types only row 0.
        var wg = r.Gradients["text.transformer.embeddings.word_embeddings.weight"];
        Assert.All(wg.Select(0, 0).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(r.Gradients["text.transformer.embeddings.token_type_embeddings.weight"].Select(0, 1).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Encode_api_normalises_and_matches_the_runner()
    {
        var model = BiomedClipFolder.Load(BiomedClipTiny);
        var inputs = Read(BiomedClipTiny, "inputs.safetensors");
        var outputs = Read(BiomedClipTiny, "outputs.safetensors");
        using var _ = Tensor.NoGrad();
        var img = model.EncodeImage(inputs["pixel_values"], normalize: true);
        var txt = model.EncodeText(inputs["input_ids"], normalize: true);
        AssertClose("image_features_normalized", img, outputs["image_features_normalized"], 1e-4, 1e-5);
        AssertClose("text_features_normalized", txt, outputs["text_features_normalized"], 1e-4, 1e-5);
        // Padding to the longest text instead of the context length changes nothing (padded keys get exactly 0).
        var ids = inputs["input_ids"];
        var shortIds = ids.Slice(1, 0, 30).Contiguous();
        AssertClose("text_features (30 tokens)", model.EncodeText(shortIds), outputs["text_features"], 1e-4, 1e-5);
        // The uint8 path (x/255 - mean)/std reproduces pixel_values.
        var pv = BiomedClipPreprocess.NormalizeNativeUint8(inputs["images_uint8_nhwc"], model.Config);
        AssertClose("pixel_values from uint8", pv, inputs["pixel_values"], 0, 1e-6);
    }

    [Fact]
    public void Missing_weights_and_wrong_image_size_are_clear_errors()
    {
        var dir = Directory.CreateTempSubdirectory("biomedclip-test-");
        try
        {
            File.Copy(Path.Combine(BiomedClipTiny, "open_clip_config.json"), Path.Combine(dir.FullName, "open_clip_config.json"));
            var e = Assert.Throws<FileNotFoundException>(() => BiomedClipFolder.Load(dir.FullName));
            Assert.Contains("open_clip_model.safetensors", e.Message);
        }
        finally { dir.Delete(true); }

        var model = BiomedClipFolder.Load(BiomedClipTiny);
        using var _ = Tensor.NoGrad();
        var ex = Assert.Throws<ArgumentException>(() => model.EncodeImage(Tensor.Zeros(1, 3, 96, 96)));
        Assert.Contains("64x64", ex.Message);
    }
}
