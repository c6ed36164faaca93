using Engine.Models.Bert;
using Engine.Models.Loading;
using Xunit;
using Xunit.Abstractions;
using static Engine.Models.Tests.BiomedClipTestData;

namespace Engine.Models.Tests;

/// <summary>BERT (HF BertModel, PubMedBERT style) against shared/golden/bert_tiny (transformers 4.40.2).
/// Tolerances from its README: activations max|x-ref| &lt;= 1e-4 max|ref| + 1e-6; gradients &lt;= 1e-3 max|ref|.</summary>
public sealed class BertConformanceTests
{
    private readonly ITestOutputHelper _log;
    public BertConformanceTests(ITestOutputHelper log) { _log = log; }

    [Fact]
    public void Folder_loads_strictly_with_pooler_and_golden_config()
    {
        var model = BertFolder.Load(BertTiny);
        Assert.NotNull(model.Pooler);
        Assert.Equal(512, model.Config.VocabSize);
        Assert.Equal(4, model.Config.NumAttentionHeads);
        Assert.Equal(1e-12f, model.Config.LayerNormEps);
        var file = Read(BertTiny, "model.safetensors");
        var sd = model.StateDict();
        Assert.Equal(file.Keys.OrderBy(k => k, StringComparer.Ordinal), sd.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (k, t) in file) Assert.Equal(t.ToArray(), sd[k].ToArray());
    }

    [Fact]
    public void Forward_runner_matches_every_golden_output_and_gradient()
    {
        var family = ModelFamilies.Detect(BertTiny);
        Assert.IsType<BertFamily>(family);
        using var runner = family.OpenForwardRunner(ModelFolder.Open(BertTiny), Device.Cpu);
        var inputs = Read(BertTiny, "inputs.safetensors");
        var r = runner.Run(inputs, new ForwardOptions { ComputeGradients = true, RecordIntermediates = true });

        var golden = Read(BertTiny, "outputs.safetensors");
        foreach (var (name, reference) in golden.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            Assert.True(r.Outputs.ContainsKey(name), $"output '{name}' missing");
            double d = AssertClose(name, r.Outputs[name], reference, 1e-4, 1e-6);
            _log.WriteLine($"{name}: max|diff| {d:E2} (max|ref| {MaxAbs(reference):E2})");
        }

        var grads = Read(BertTiny, "grads.safetensors");
        Assert.NotNull(r.Gradients);
        Assert.Equal(grads.Keys.OrderBy(k => k, StringComparer.Ordinal), r.Gradients!.Keys.OrderBy(k => k, StringComparer.Ordinal));
        // atol 1e-6 * G (G = largest |grad| in the file) for gradients that are mathematically zero but float noise
        // (every attention.self.key.bias: a key bias shifts all scores of a query equally).
        double g = grads.Values.Max(MaxAbs), worst = 0;
        foreach (var (name, reference) in grads)
        {
            double d = AssertClose("grad " + name, r.Gradients[name], reference, 1e-3, 1e-6 * g);
            worst = Math.Max(worst, d / Math.Max(MaxAbs(reference), 1e-12));
        }
        _log.WriteLine($"gradients: worst max|diff|/max|ref| {worst:E2}");
        // Padding row of the word table: zero gradient (padding_idx), exactly.
        var wg = r.Gradients["embeddings.word_embeddings.weight"];
        Assert.All(wg.Select(0, 0).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Gradients_without_a_probe_are_a_clear_error()
    {
        using var runner = new BertFamily().OpenForwardRunner(ModelFolder.Open(BertTiny), Device.Cpu);
        var inputs = Read(BertTiny, "inputs.safetensors").Where(kv => !kv.Key.StartsWith("grad_probe.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var e = Assert.Throws<ArgumentException>(() => runner.Run(inputs, new ForwardOptions { ComputeGradients = true }));
        Assert.Contains("grad_probe", e.Message);
        var r = runner.Run(inputs, new ForwardOptions());
        Assert.False(r.Outputs.ContainsKey("grad_probe.loss"));
        Assert.False(r.Outputs.ContainsKey("attentions.0")); // probabilities only with --intermediates
        Assert.True(r.Outputs.ContainsKey("defaults.pooler_output"));
    }

    [Fact]
    public void Pretraining_checkpoint_keys_are_normalised_like_transformers()
    {
        var file = Read(BertTiny, "model.safetensors");
        var variant = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in file)
        {
            var key = "bert." + k;
            if (key.EndsWith("LayerNorm.weight", StringComparison.Ordinal)) key = key[..^"weight".Length] + "gamma";
            if (key.EndsWith("LayerNorm.bias", StringComparison.Ordinal)) key = key[..^"bias".Length] + "beta";
            variant[key] = t;
        }
        variant["cls.predictions.bias"] = Tensor.Zeros(512);
        variant["bert.embeddings.position_ids"] = Tensor.FromArray(new long[256], 1, 256);
        var normalized = BertCheckpoint.Normalize(variant);
        Assert.Equal(file.Keys.OrderBy(k => k, StringComparer.Ordinal), normalized.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var model = new BertModel(BertConfig.FromJsonFile(Path.Combine(BertTiny, "config.json")));
        model.LoadStateDict(normalized, BertCheckpoint.IsIgnorable, "variant");
    }

    [Fact]
    public void Without_a_pooler_in_the_checkpoint_none_is_built_and_a_missing_key_is_named()
    {
        var file = Read(BertTiny, "model.safetensors");
        var noPooler = file.Where(kv => !kv.Key.StartsWith("pooler.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.False(BertCheckpoint.HasPooler(noPooler));
        var cfg = BertConfig.FromJsonFile(Path.Combine(BertTiny, "config.json")) with { AddPoolingLayer = false };
        var model = new BertModel(cfg);
        model.LoadStateDict(noPooler, null, "no-pooler");
        Assert.Null(model.Pooler);

        noPooler.Remove("encoder.layer.1.output.dense.bias");
        var e = Assert.Throws<InvalidDataException>(() => new BertModel(cfg).LoadStateDict(noPooler, null, "broken"));
        Assert.Contains("encoder.layer.1.output.dense.bias", e.Message);
    }

    [Fact]
    public void Out_of_vocabulary_ids_and_overlong_inputs_are_clear_errors()
    {
        var model = BertFolder.Load(BertTiny);
        using var _ = Tensor.NoGrad();
        Assert.ThrowsAny<Exception>(() => model.Forward(Tensor.FromArray(new long[] { 2, 512, 3 }, 1, 3)));
        var e = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.FromArray(new long[300], 1, 300)));
        Assert.Contains("max_position_embeddings", e.Message);
    }
}
