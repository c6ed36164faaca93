using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// CRIS (DerrickWang005/CRIS.pytorch <c>model.segmenter.CRIS</c>; keys <c>backbone.*</c>, <c>neck.*</c>,
/// <c>decoder.*</c>, <c>proj.*</c>): CLIP ResNet image features (v3, v4, v5) and text features (words, sentence
/// state) → FPN fused with the sentence → vision-language decoder attending to the words → projector's per-sample
/// dynamic convolution → logits [B, 1, H/4, W/4]. See shared/golden/cris_tiny/README.md for every rule.
/// </summary>
public sealed class CrisModel : Module
{
    public CrisModel(CrisConfig config, CrisClipArchitecture clip, Random? rng = null)
    {
        config.Validate();
        config.CheckAgainst(clip, "the backbone");
        Config = config; ClipArch = clip;
        Backbone = Add("backbone", new CrisClip(clip, rng));
        Neck = Add("neck", new CrisFpn(config.FpnIn, config.FpnOut, rng));
        Decoder = Add("decoder", new CrisTransformerDecoder(config.NumLayers, config.VisDim, config.NumHead, config.DimFfn, config.Dropout, rng));
        Proj = Add("proj", new CrisProjector(config.WordDim, config.VisDim / 2, 3, rng));
    }

    public CrisConfig Config { get; }
    public CrisClipArchitecture ClipArch { get; }
    public CrisClip Backbone { get; }
    public CrisFpn Neck { get; }
    public CrisTransformerDecoder Decoder { get; }
    public CrisProjector Proj { get; }

    /// <summary>The device the weights live on.</summary>
    public Device Device => Backbone.TokenEmbedding.Weight.Value.Device;

    /// <summary>
    /// CRIS.forward's prediction: logits [B, 1, H/4, W/4] (pre-sigmoid). In training mode batch norms use batch
    /// statistics (and update their running statistics) unless frozen with <see cref="FreezeBatchNorm"/>.
    /// </summary>
    /// <param name="pixels">[B, 3, H, W] normalised with the OpenAI CLIP mean/std; sides multiples of 32.</param>
    /// <param name="wordIds">I64/I32 [B, L] CLIP ids, 0-padded (L = word_len in CRIS).</param>
    /// <param name="padMask">[B, L], true = padding; null = CRIS's own rule word_ids == 0 (a genuine id 0, "!", counts as padding too).</param>
    /// <param name="sink">records backbone.*, text.*, neck.*, decoder.*, proj.* under the golden names.</param>
    public Tensor Forward(Tensor pixels, Tensor wordIds, Tensor? padMask = null, IntermediateSink? sink = null)
    {
        if (pixels.Rank != 4) throw new ArgumentException($"pixel_values must be [B, 3, H, W] (found {Shape.Format(pixels.Shape)}).");
        if (wordIds.Rank != 2 || wordIds.Shape[0] != pixels.Shape[0])
            throw new ArgumentException($"word_ids {Shape.Format(wordIds.Shape)} must be [B, L] with the batch size {pixels.Shape[0]} of pixel_values.");
        var device = Device;
        padMask ??= PadMaskOf(wordIds);
        var (v3, v4, v5) = Backbone.EncodeImage(pixels.To(device), sink?.Scope("backbone."));
        var (words, state) = Backbone.EncodeText(wordIds);
        sink?.Add("text.word_features", words);
        sink?.Add("text.sentence_feature", state);
        var fq = Neck.Forward(v3, v4, v5, state, sink?.Scope("neck."));
        fq = Decoder.Forward(fq, words, padMask, sink?.Scope("decoder."));
        return Proj.Forward(fq, state, sink?.Scope("proj."));
    }

    /// <summary>CRIS's training loss: the target [B, 1, H, W] resized to the prediction with legacy nearest
    /// (src = ⌊dst·in/out⌋) when the sizes differ, then BCE-with-logits averaged over all elements.</summary>
    public static Tensor Loss(Tensor logits, Tensor target) => Ops.BceWithLogits(logits, ResizeTarget(target, logits.Shape[2], logits.Shape[3]), Reduction.Mean);

    /// <summary>The target as the loss sees it: F.interpolate(mode='nearest') to h×w (identity when already that size).</summary>
    public static Tensor ResizeTarget(Tensor target, int h, int w)
    {
        if (target.Rank != 4 || target.Shape[1] != 1) throw new ArgumentException($"The CRIS target must be [B, 1, H, W] (found {Shape.Format(target.Shape)}).");
        if (target.DType != DType.F32) throw new ArgumentException($"The CRIS target must be float32 0/1 (found {target.DType}).");
        var t = target.Detach();
        return t.Shape[2] == h && t.Shape[3] == w ? t : Ops.Interpolate(t, h, w, InterpolationMode.Nearest);
    }

    /// <summary>CRIS's padding rule: word_ids == 0 (Bool [B, L]).</summary>
    public static Tensor PadMaskOf(Tensor wordIds)
    {
        var ids = wordIds.ToInt64Array();
        var m = new long[ids.Length];
        for (int i = 0; i < ids.Length; i++) m[i] = ids[i] == 0 ? 1 : 0;
        return Tensor.FromArray(m, (int[])wordIds.Shape.Clone());
    }

    /// <summary>Every BatchNorm (2-d and the 1-d one of neck.txt_proj) uses its running statistics even in training
    /// mode when <paramref name="frozen"/> (CRIS's "frozen BN" variant); off = torch's default.</summary>
    public void FreezeBatchNorm(bool frozen)
    {
        foreach (var bn in AllModules(this).OfType<BatchNorm2d>()) bn.FrozenStats = frozen;
    }

    /// <summary>Batch norms by checkpoint prefix ("backbone.visual.bn1", ...).</summary>
    public IEnumerable<(string Name, BatchNorm2d Norm)> BatchNorms() => Named(this, "").Where(x => x.m is BatchNorm2d).Select(x => (x.name, (BatchNorm2d)x.m));

    /// <summary>The part of a parameter for training ("vision": backbone.visual.*; "text": the text tower and
    /// text_projection; "decoder": neck, decoder, proj), or null for backbone.logit_scale, which CRIS never uses.</summary>
    public static string? PartOf(string parameterName)
    {
        if (parameterName.StartsWith("backbone.visual.", StringComparison.Ordinal)) return "vision";
        if (parameterName == "backbone.logit_scale") return null;
        if (parameterName.StartsWith("backbone.", StringComparison.Ordinal)) return "text";
        if (parameterName.StartsWith("neck.", StringComparison.Ordinal) || parameterName.StartsWith("decoder.", StringComparison.Ordinal)
            || parameterName.StartsWith("proj.", StringComparison.Ordinal)) return "decoder";
        return null;
    }

    private static IEnumerable<Module> AllModules(Module m)
    {
        yield return m;
        foreach (var (_, c) in m.Children)
            foreach (var x in AllModules(c)) yield return x;
    }

    private static IEnumerable<(string name, Module m)> Named(Module m, string prefix)
    {
        yield return (prefix.TrimEnd('.'), m);
        foreach (var (n, c) in m.Children)
            foreach (var x in Named(c, prefix + n + ".")) yield return x;
    }
}
