using System.Globalization;
using Engine.Models.Loading;

namespace Engine.Models.BiomedClip;

/// <summary>
/// <c>engine forward</c> on a BiomedCLIP folder (golden names of biomedclip_tiny).
/// Inputs: <c>pixel_values</c> [B, 3, S, S] (or <c>images_uint8_nhwc</c> [B, S, S, 3] at the model size, normalised
/// here), <c>input_ids</c> [T, L] padded with [PAD] (the attention mask is derived from them, as open_clip does; an
/// <c>attention_mask</c> input is accepted and not used).
/// Outputs: <c>image_features</c>, <c>text_features</c>, <c>*_normalized</c>, <c>logit_scale</c>,
/// <c>logit_scale_exp</c>, <c>logits_per_image</c> [B, T], <c>logits_per_text</c> [T, B], and the ClipLoss on the first
/// N = min(B, T) pairs as <c>loss</c> (with <c>train.logits_per_image</c> [N, N] and <c>train.labels</c>); with
/// intermediates <c>vit.*</c>, <c>bert.*</c>, <c>text.pooled</c>, <c>text.proj_hidden</c>. <c>--grads</c>: the gradient
/// of that loss for every parameter.
/// </summary>
public sealed class BiomedClipForwardRunner : IForwardRunner
{
    private readonly BiomedClipModel _model;
    private readonly object _lock = new();

    public BiomedClipForwardRunner(BiomedClipModel model) { _model = model; }

    public IReadOnlyCollection<string> KnownInputs => new[] { "pixel_values", "images_uint8_nhwc", "input_ids", "attention_mask" };

    public ForwardResult Run(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options)
    {
        ForwardInputs.PackUnlessTraining(_model, options);
        var result = new ForwardResult();
        foreach (var f in options.Flags) result.Notes.Add($"flag '{f}' has no meaning for BiomedCLIP; ignored");
        Tensor pixels = inputs.TryGetValue("pixel_values", out var pv) ? pv
            : inputs.TryGetValue("images_uint8_nhwc", out var raw) ? BiomedClipPreprocess.NormalizeNativeUint8(raw, _model.Config)
            : throw new KeyNotFoundException("A BiomedCLIP forward needs 'pixel_values' [batch, 3, H, W] (or 'images_uint8_nhwc').");
        if (!inputs.TryGetValue("input_ids", out var ids)) throw new KeyNotFoundException("A BiomedCLIP forward needs 'input_ids' [texts, tokens] (int64, padded with [PAD]).");
        if (inputs.ContainsKey("attention_mask"))
            result.Notes.Add("attention_mask is not used: open_clip derives the mask from input_ids != pad_token_id");
        if (options.ComputeGradients && Math.Min(pixels.Shape[0], ids.Shape[0]) < 1)
            throw new ArgumentException("--grads needs at least one image and one text for the contrastive loss.");

        lock (_lock)
        {
            _model.Eval();
            GradientCollector.Zero(_model);
            using (options.ComputeGradients ? null : Tensor.NoGrad())
            {
                var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                bool rec = options.RecordIntermediates;

                var vit = _model.Visual.Trunk.Forward(pixels, keepIntermediates: rec);
                var imageFeatures = _model.Visual.Head.Forward(vit.Pooled!);
                var text = _model.Text.Forward(ids, keepIntermediates: rec);
                var o = _model.Combine(imageFeatures, text.Features);

                outputs["image_features"] = o.ImageFeatures;
                outputs["image_features_normalized"] = o.ImageFeaturesNormalized;
                outputs["text_features"] = o.TextFeatures;
                outputs["text_features_normalized"] = o.TextFeaturesNormalized;
                outputs["logit_scale"] = _model.LogitScale.Value;
                outputs["logit_scale_exp"] = o.LogitScaleExp;
                outputs["logits_per_image"] = o.LogitsPerImage;
                outputs["logits_per_text"] = o.LogitsPerText;
                if (rec)
                {
                    outputs["vit.patch_embed"] = vit.PatchTokens!;
                    outputs["vit.embed_with_pos"] = vit.EmbedWithPos!;
                    for (int i = 0; i < vit.BlockOutputs.Count; i++) outputs[$"vit.block{i}"] = vit.BlockOutputs[i];
                    outputs["vit.norm"] = vit.Normed!;
                    outputs["vit.pooled"] = vit.Pooled!;
                    var hs = text.Bert.HiddenStates;
                    outputs["bert.embeddings"] = hs[0];
                    for (int i = 1; i < hs.Count; i++) outputs[$"bert.layer{i - 1}"] = hs[i];
                    outputs["bert.last_hidden_state"] = text.Bert.LastHiddenState;
                    outputs["text.pooled"] = text.Pooled;
                    outputs["text.proj_hidden"] = text.ProjHidden!;
                }

                int n = Math.Min(pixels.Shape[0], ids.Shape[0]);
                if (n >= 1)
                {
                    var lpi = o.LogitsPerImage.Slice(0, 0, n).Slice(1, 0, n);
                    var lpt = o.LogitsPerText.Slice(0, 0, n).Slice(1, 0, n);
                    var loss = BiomedClipModel.ContrastiveLoss(lpi, lpt);
                    outputs["loss"] = loss;
                    outputs["train.logits_per_image"] = lpi;
                    outputs["train.labels"] = Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)i).ToArray(), n);
                    if (options.ComputeGradients)
                    {
                        loss.Backward();
                        var (grads, without) = GradientCollector.Collect(_model, zeroFillMissing: true, toCpu: !options.GradientsOnDevice);
                        result.Gradients = grads;
                        result.GradientMetadata["loss"] = loss.Item().ToString("R", CultureInfo.InvariantCulture);
                        result.GradientMetadata["pairs"] = n.ToString(CultureInfo.InvariantCulture);
                        result.GradientMetadata["params_without_grad"] = string.Join(",", without);
                        GradientCollector.Zero(_model);
                    }
                }
                foreach (var (k, v) in outputs) result.Outputs[k] = v.Detach().To(Device.Cpu).Contiguous();
            }
        }
        return result;
    }

    public void Dispose() { }
}
