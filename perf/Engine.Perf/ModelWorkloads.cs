using Engine.Models.BiomedClip;
using Engine.Models.BiomedClipSeg;
using Engine.Models.Clip;
using Engine.Models.ClipSeg;
using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Perf;

/// <summary>A full-size, randomly initialised model and the cases to time for a batch size.</summary>
public sealed record ModelWorkload(string Family, string Preset, int Size, long Parameters, Func<int, IReadOnlyList<ModelBenchCase>> CasesFor);

/// <summary>
/// Builds the benchmark workloads of each model family from its architecture (random weights with the family's own
/// initialisation; nothing is read from disk). Inputs are random pixels, random token ids of a typical prompt
/// length and random 0/1 masks; the speed of dense kernels does not depend on the values.
/// </summary>
public static class ModelWorkloads
{
    public static readonly string[] Families = { "clipseg", "vit-b16", "biomedclip", "biomedclipseg", "cris" };

    public static ModelWorkload Build(ModelBenchOptions o, Action<string>? log = null)
    {
        if (o.ModelDir is not null) return Folder(o.ModelDir, o, log);
        return o.Family.ToLowerInvariant() switch
        {
            "clipseg" => ClipSeg(o),
            "vit-b16" => VitB16(o),
            "biomedclip" => BiomedClip(o),
            "biomedclipseg" => BiomedClipSeg(o),
            "cris" => Cris(o, log),
            _ => throw new ArgumentException($"Unknown model family '{o.Family}' for bench model; known: {string.Join(", ", Families)}."),
        };
    }

    public static bool CrisAvailable() => ModelFamilies.All.Any(f => string.Equals(f.Name, "cris", StringComparison.OrdinalIgnoreCase))
                                           && ModelFamilies.Initializers.Any(i => string.Equals(i.Family, "cris", StringComparison.OrdinalIgnoreCase));

    // ---------------------------------------------------------------- any folder (and families known only at run time)

    /// <summary>CRIS through its family's initializer and forward runner (random weights written once to a temp
    /// folder and reused), so the benchmark does not depend on the CRIS classes at compile time.</summary>
    private static ModelWorkload Cris(ModelBenchOptions o, Action<string>? log)
    {
        if (!CrisAvailable()) throw new NotSupportedException("cris: not available yet (no CRIS model family in Engine.Models).");
        string preset = o.Preset ?? "rn50";
        var dir = Path.Combine(Path.GetTempPath(), $"engine-bench-cris-{preset}-seed{o.Seed}");
        if (!File.Exists(Path.Combine(dir, "model.safetensors")))
        {
            log?.Invoke($"writing a random CRIS '{preset}' folder to {dir} (once) ...");
            var init = ModelFamilies.Initializer("cris");
            log?.Invoke(init.Initialize(new ModelInitRequest(dir, preset, null, o.Seed, new Dictionary<string, string>())));
        }
        return Folder(dir, o with { Preset = preset }, log);
    }

    private static ModelWorkload Folder(string dir, ModelBenchOptions o, Action<string>? log)
    {
        var w = new ModelFolderWorkload(dir, o.Device, o.Size, log);
        string name = w.Family.Name;
        bool hasFrozen = name is "clipseg" or "biomedclipseg";
        var none = new HashSet<string>(StringComparer.Ordinal);
        var frozen = new HashSet<string>(StringComparer.Ordinal) { "freeze-encoders" };
        return new ModelWorkload(name, o.Preset ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), w.Size, -1, b =>
        {
            var infer = w.Inputs(b, false, none);
            var cases = new List<ModelBenchCase> { new("forward", b, b, "image", () => w.Step(infer, false, none)) };
            if (o.Backward)
            {
                var train = w.Inputs(b, true, none);
                if (hasFrozen) cases.Add(new("fwd+bwd decoder", b, b, "image", () => w.Run(train, true, frozen)));
                if (name == "cris")
                {
                    // CRIS fine-tunes with batch-norm statistics either frozen (any batch) or from the batch, which
                    // needs two or more images (its pooled [B, C] batch norms have one value per channel at B = 1).
                    var frozenBn = new HashSet<string>(StringComparer.Ordinal) { "frozen-bn" };
                    cases.Add(new("fwd+bwd all (frozen BN)", b, b, "image", () => w.Run(train, true, frozenBn)));
                    if (b >= 2) cases.Add(new("fwd+bwd all", b, b, "image", () => w.Run(train, true, none)));
                }
                else cases.Add(new("fwd+bwd all", b, b, "image", () => w.Run(train, true, none)));
            }
            return cases;
        });
    }

    // ---------------------------------------------------------------- CLIPSeg

    private static ModelWorkload ClipSeg(ModelBenchOptions o)
    {
        string preset = o.Preset ?? "rd64-refined";
        const int vocab = 49408;
        var (_, defaultSize) = ClipSegPresets.Get(preset, vocab);
        int size = o.Size ?? defaultSize;
        var model = ClipSegPresets.Create(preset, o.Seed, vocab);
        model.PackForInference(); // weights packed as the segmenters pack them; only the no-grad passes (inference, frozen encoders) use the copy
        int textLen = o.TextLength ?? 12;
        return new ModelWorkload("clipseg", preset, size, model.ParameterCount(), b =>
        {
            var rng = new Random(o.Seed + b);
            var pixels = Tensor.Randn(rng, b, 3, size, size);
            var ids = ClipIds(rng, b, textLen, vocab);
            var mask = Tensor.FromArray(Enumerable.Repeat(1L, b * textLen).ToArray(), b, textLen);
            var labels = RandomMask(rng, b, size, size);
            // Inference as the segmenter runs it: the vision layers after the deepest extracted one and the pooled
            // output are skipped (they cannot change the logits).
            var infer = new ClipSegForwardOptions { ComputePooledOutput = false };
            var cases = new List<ModelBenchCase>
            {
                new("forward", b, b, "image", () => TensorScope.Infer(() => { model.Forward(pixels, ids, mask, options: infer); })),
            };
            if (o.Backward)
            {
                cases.Add(new("fwd+bwd decoder", b, b, "image", () => TrainStep(model, () =>
                    model.Forward(pixels, ids, mask, labels: labels, options: new ClipSegForwardOptions { FreezeEncoders = true, ComputePooledOutput = false }).Loss!)));
                cases.Add(new("fwd+bwd all", b, b, "image", () => TrainStep(model, () =>
                    model.Forward(pixels, ids, mask, labels: labels, options: new ClipSegForwardOptions { FreezeEncoders = false, ComputePooledOutput = false }).Loss!)));
            }
            return cases;
        });
    }

    // ---------------------------------------------------------------- CLIP ViT-B/16 vision tower

    private static ModelWorkload VitB16(ModelBenchOptions o)
    {
        int size = o.Size ?? 224;
        if (size % 16 != 0) throw new ArgumentException($"vit-b16: --size must be a multiple of the 16-pixel patch (got {size}).");
        var config = new ClipVisionConfig { HiddenSize = 768, IntermediateSize = 3072, NumHiddenLayers = 12, NumAttentionHeads = 12, ImageSize = size, PatchSize = 16, ProjectionDim = 512 };
        var rng = new Random(o.Seed);
        var model = new ClipVisionModelWithProjection(config, rng);
        ClipInitialization.Apply(model, rng, config.NumHiddenLayers);
        model.SetRequiresGrad(true);
        model.Eval();
        model.PackForInference();
        return new ModelWorkload("vit-b16", "clip-vit-base-patch16", size, model.ParameterCount(), b =>
        {
            var pixels = Tensor.Randn(new Random(o.Seed + b), b, 3, size, size);
            var cases = new List<ModelBenchCase>
            {
                new("forward", b, b, "image", () => TensorScope.Infer(() => { model.Forward(pixels); })),
            };
            if (o.Backward)
                cases.Add(new("fwd+bwd all", b, b, "image", () => TrainStep(model, () => Ops.Mean(model.Forward(pixels).imageEmbeds))));
            return cases;
        });
    }

    // ---------------------------------------------------------------- BiomedCLIP

    private static ModelWorkload BiomedClip(ModelBenchOptions o)
    {
        var config = BiomedClipConfig.Base;
        if (o.Preset is not null && o.Preset != "base") throw new ArgumentException($"biomedclip: only the 'base' preset is benchmarked (got '{o.Preset}').");
        int size = o.Size ?? config.Vision.ImageSize;
        if (size != config.Vision.ImageSize) throw new ArgumentException($"biomedclip: the timm ViT takes {config.Vision.ImageSize}x{config.Vision.ImageSize} only (got --size {size}).");
        var model = new BiomedClipModel(config, o.Seed);
        model.Eval();
        model.PackForInference();
        int textLen = o.TextLength ?? 12;
        return new ModelWorkload("biomedclip", "base", size, model.ParameterCount(), b =>
        {
            var rng = new Random(o.Seed + b);
            var pixels = Tensor.Randn(rng, b, 3, size, size);
            var ids = BertIds(rng, b, textLen, config.ContextLength, config.Text.VocabSize);
            return new List<ModelBenchCase>
            {
                new("encode_image", b, b, "image", () => TensorScope.Infer(() => { model.EncodeImage(pixels); })),
                new("encode_text", b, b, "text", () => TensorScope.Infer(() => { model.EncodeText(ids); })),
            };
        });
    }

    // ---------------------------------------------------------------- BiomedCLIPSeg

    private static ModelWorkload BiomedClipSeg(ModelBenchOptions o)
    {
        var config = new BiomedClipSegConfig();
        int size = o.Size ?? config.BiomedClip.Vision.ImageSize;
        if (size != config.BiomedClip.Vision.ImageSize) throw new ArgumentException($"biomedclipseg: the timm ViT takes {config.BiomedClip.Vision.ImageSize}x{config.BiomedClip.Vision.ImageSize} only (got --size {size}).");
        var model = new BiomedClipSegModel(config, o.Seed);
        model.SetRequiresGrad(true);
        model.Eval();
        model.PackForInference();
        int textLen = o.TextLength ?? 12;
        return new ModelWorkload("biomedclipseg", "base", size, model.ParameterCount(), b =>
        {
            var rng = new Random(o.Seed + b);
            var pixels = Tensor.Randn(rng, b, 3, size, size);
            var ids = BertIds(rng, b, textLen, config.BiomedClip.ContextLength, config.BiomedClip.Text.VocabSize);
            var labels = RandomMask(rng, b, size, size);
            var cases = new List<ModelBenchCase>
            {
                new("forward", b, b, "image", () => TensorScope.Infer(() => { model.Forward(pixels, ids); })),
            };
            if (o.Backward)
            {
                cases.Add(new("fwd+bwd decoder", b, b, "image", () => TrainStep(model, () =>
                    model.Forward(pixels, ids, labels: labels, options: new BiomedClipSegForwardOptions { FreezeEncoders = true }).Loss!)));
                cases.Add(new("fwd+bwd all", b, b, "image", () => TrainStep(model, () =>
                    model.Forward(pixels, ids, labels: labels, options: new BiomedClipSegForwardOptions { FreezeEncoders = false }).Loss!)));
            }
            return cases;
        });
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Clears every gradient, runs the loss and backpropagates (no optimiser step).</summary>
    /// <summary>Forward + backward as the trainer runs it: in a step scope, gradients dropped at the end.</summary>
    private static void TrainStep(Module model, Func<Tensor> loss)
    {
        using (TensorScope.BeginStep())
        {
            loss().Backward();
            foreach (var p in model.Parameters()) p.Value.ZeroGrad();
        }
    }

    /// <summary>CLIP ids: &lt;|startoftext|&gt;, random tokens, &lt;|endoftext|&gt; (the largest id, where the pooling reads).</summary>
    private static Tensor ClipIds(Random rng, int b, int len, int vocab)
    {
        var ids = new long[b * len];
        for (int r = 0; r < b; r++)
            for (int t = 0; t < len; t++)
                ids[r * len + t] = t == 0 ? vocab - 2 : t == len - 1 ? vocab - 1 : rng.Next(1, vocab - 2);
        return Tensor.FromArray(ids, b, len);
    }

    /// <summary>BERT ids padded to the context length as open_clip does: [CLS]=2, words, [SEP]=3, then [PAD]=0.</summary>
    private static Tensor BertIds(Random rng, int b, int words, int context, int vocab)
    {
        var ids = new long[b * context];
        for (int r = 0; r < b; r++)
        {
            ids[r * context] = 2;
            for (int t = 1; t <= words && t < context - 1; t++) ids[r * context + t] = rng.Next(5, vocab);
            ids[r * context + Math.Min(words + 1, context - 1)] = 3;
        }
        return Tensor.FromArray(ids, b, context);
    }

    private static Tensor RandomMask(Random rng, int b, int h, int w)
    {
        var m = new float[b * h * w];
        for (int i = 0; i < m.Length; i++) m[i] = rng.Next(2);
        return Tensor.FromArray(m, b, h, w);
    }
}
