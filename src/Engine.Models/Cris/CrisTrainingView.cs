using System.Collections.Concurrent;
using Engine.Text.Clip;

namespace Engine.Models.Cris;

/// <summary>
/// CRIS as a trainer sees it (backs Engine.Training's CRIS adapter): parts "vision" (backbone.visual.*), "text" (the
/// CLIP text tower and text_projection) and "decoder" (neck, decoder, proj); backbone.logit_scale is never trained.
/// Trained parts are in training mode (batch norms on batch statistics, dropout), frozen ones in eval mode and run
/// without a tape; frozen text features are computed once per prompt (alone) and reused.
/// </summary>
public sealed class CrisTrainingView
{
    public const string DecoderPart = "decoder", TextPart = "text", VisionPart = "vision";
    private const int MaxCachedPrompts = 100_000;
    private readonly ConcurrentDictionary<string, (float[] Words, float[] State)> _frozenText = new(StringComparer.Ordinal);
    private bool _text, _vision;

    public CrisTrainingView(CrisModel model, ClipTokenizer tokenizer)
    {
        Model = model;
        Tokenizer = tokenizer.MaxLength == model.Config.WordLen && tokenizer.PadId == 0 ? tokenizer : tokenizer.WithContextLength(model.Config.WordLen).WithPadId(0);
        Configure(decoder: true, text: false, vision: false);
    }

    public CrisModel Model { get; }
    public ClipTokenizer Tokenizer { get; }

    /// <summary>"decoder", "text", "vision", or null (logit_scale).</summary>
    public static string? PartOf(string parameterName) => CrisModel.PartOf(parameterName);

    public void Configure(bool decoder, bool text, bool vision)
    {
        _text = text; _vision = vision;
        foreach (var (name, p) in Model.NamedParameters())
            p.RequiresGrad = PartOf(name) switch { DecoderPart => decoder, TextPart => text, VisionPart => vision, _ => false };
        Model.Eval();
        if (decoder) { Model.Neck.Train(); Model.Decoder.Train(); Model.Proj.Train(); }
        if (text) { Model.Backbone.Transformer.Train(); Model.Backbone.TokenEmbedding.Train(); Model.Backbone.LnFinal.Train(); }
        if (vision) Model.Backbone.Visual.Train();
        _frozenText.Clear();
    }

    /// <summary>Training forward: one prompt per image → logits [B, H/4, W/4] (pre-sigmoid).</summary>
    public Tensor Forward(Tensor pixelValues, IReadOnlyList<string> prompts)
    {
        if (prompts.Count != pixelValues.Shape[0])
            throw new ArgumentException($"Training needs one prompt per image: {prompts.Count} prompts for {pixelValues.Shape[0]} images.");
        var ids = Tokenizer.Encode(prompts).IdsTensor();
        Tensor v3, v4, v5;
        using (_vision ? null : Tensor.NoGrad())
            (v3, v4, v5) = Model.Backbone.EncodeImage(pixelValues.To(Model.Device));
        var (words, state) = _text ? Model.Backbone.EncodeText(ids) : FrozenText(prompts, ids);
        // The head always runs with a tape: even when frozen, gradients flow through it to a trained tower.
        // A batch of one (e.g. an epoch's last batch) has no batch statistics for neck.txt_proj's BatchNorm1d over the
        // sentence (torch refuses it; CRIS drops last batches): that one layer then uses its running statistics.
        var txtNorm = Model.Neck.TxtProj.Norm;
        bool single = pixelValues.Shape[0] == 1 && txtNorm.Training && !txtNorm.FrozenStats;
        if (single) txtNorm.FrozenStats = true;
        Tensor fq;
        try { fq = Model.Neck.Forward(v3, v4, v5, state); }
        finally { if (single) txtNorm.FrozenStats = false; }
        fq = Model.Decoder.Forward(fq, words, CrisModel.PadMaskOf(ids));
        var logits = Model.Proj.Forward(fq, state);
        return logits.Reshape(logits.Shape[0], logits.Shape[2], logits.Shape[3]);
    }

    private (Tensor Words, Tensor State) FrozenText(IReadOnlyList<string> prompts, Tensor ids)
    {
        int l = ids.Shape[1], w = Model.ClipArch.TextWidth, d = Model.ClipArch.EmbedDim;
        var words = new float[prompts.Count * l * w];
        var state = new float[prompts.Count * d];
        var all = ids.ToInt64Array();
        for (int i = 0; i < prompts.Count; i++)
        {
            if (!_frozenText.TryGetValue(prompts[i], out var f))
            {
                using (Tensor.NoGrad())
                {
                    var (wo, so) = Model.Backbone.EncodeText(Tensor.FromArray(all.AsSpan(i * l, l).ToArray(), 1, l));
                    f = (wo.ToArray(), so.ToArray());
                }
                if (_frozenText.Count >= MaxCachedPrompts) _frozenText.Clear();
                _frozenText[prompts[i]] = f;
            }
            f.Words.CopyTo(words, i * l * w);
            f.State.CopyTo(state, i * d);
        }
        return (Tensor.FromArray(words, prompts.Count, l, w).To(Model.Device), Tensor.FromArray(state, prompts.Count, d).To(Model.Device));
    }
}
