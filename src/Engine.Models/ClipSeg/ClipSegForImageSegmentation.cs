using Engine.Models.Clip;
using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.ClipSeg;

/// <summary>Outputs of <see cref="ClipSegForImageSegmentation.Forward"/>.</summary>
/// <param name="Logits">[B, H, W] segmentation logits.</param>
/// <param name="ConditionalEmbeddings">[B, projection_dim] FiLM condition (text or visual prompt), not normalised.</param>
/// <param name="PooledOutput">visual_projection(vision pooler_output) of the query image; null when not computed.</param>
/// <param name="Loss">BCE-with-logits (mean) against labels; null without labels.</param>
/// <param name="Vision">query-image tower output (hidden states up to the last layer run).</param>
/// <param name="Text">text tower output when the condition came from text.</param>
public sealed record ClipSegOutput(Tensor Logits, Tensor ConditionalEmbeddings, Tensor? PooledOutput, Tensor? Loss, ClipVisionOutput Vision, ClipTextOutput? Text);

/// <summary>Switches of a CLIPSeg forward pass.</summary>
public sealed record ClipSegForwardOptions
{
    /// <summary>transformers' training semantics: both CLIP towers (and the projections) run under no_grad, so only
    /// decoder parameters get gradients. Off = gradients through the whole network.</summary>
    public bool FreezeEncoders { get; init; }

    /// <summary>Run every vision layer and compute pooled_output (as transformers does). Off skips the vision layers after
    /// max(extract_layers), which cannot influence the logits (inference speed-up).</summary>
    public bool ComputePooledOutput { get; init; } = true;

    /// <summary>Collects intermediates under the golden names (vision.*, text.*, decoder.*, logits, ...).</summary>
    public IntermediateSink? Sink { get; init; }
}

/// <summary>
/// CLIPSegForImageSegmentation (keys clip.*, decoder.*; transformers 4.40.2 semantics, see
/// shared/golden/clipseg_tiny_refined/README.md). The CLIP vision tower interpolates its position table bicubically
/// when the image's patch grid differs from the config's.
/// </summary>
public sealed class ClipSegForImageSegmentation : Module
{
    public ClipSegForImageSegmentation(ClipSegConfig config, Random? rng = null)
    {
        Config = config;
        Clip = Add("clip", new ClipModel(config.Text, config.Vision, config.ProjectionDim, config.LogitScaleInitValue, interpolatePositions: true, rng));
        Decoder = Add("decoder", new ClipSegDecoder(ClipSegDecoderOptions.FromConfig(config), rng));
    }

    public ClipSegConfig Config { get; }
    public ClipModel Clip { get; }
    public ClipSegDecoder Decoder { get; }

    /// <summary>
    /// Conditional embeddings from text (preferred when both are given, as transformers) or from a prompt image:
    /// text_projection(pooled text) / visual_projection(post_layernorm(CLS of the prompt image)).
    /// </summary>
    public (Tensor embeddings, ClipTextOutput? text) ConditionalEmbeddings(Tensor? inputIds, Tensor? attentionMask, Tensor? conditionalPixelValues, IntermediateSink? sink = null)
    {
        if (inputIds != null)
        {
            var t = Clip.TextModel.Forward(inputIds, attentionMask, sink?.Scope("text."));
            return (Clip.TextProjection.Forward(t.PooledOutput), t);
        }
        if (conditionalPixelValues != null)
        {
            var v = Clip.VisionModel.Forward(conditionalPixelValues, sink?.Scope("conditional_vision."));
            return (Clip.VisualProjection.Forward(v.PooledOutput!), null);
        }
        throw new ArgumentException("CLIPSeg needs a prompt: input_ids (text), conditional_pixel_values (a prompt image) or conditional_embeddings.");
    }

    /// <summary>
    /// Query images through the vision tower; returns the tower output and the decoder's activations
    /// (hidden_states[k + 1] for k in extract_layers, in that order).
    /// </summary>
    public (ClipVisionOutput vision, List<Tensor> activations, Tensor? pooledOutput) EncodeImages(Tensor pixelValues, bool computePooledOutput = true, IntermediateSink? sink = null)
    {
        int needed = Config.ExtractLayers.Max() + 1;
        var v = Clip.VisionModel.Forward(pixelValues, sink?.Scope("vision."), computePooledOutput ? null : needed);
        var acts = Config.ExtractLayers.Select(k => v.HiddenStates[k + 1]).ToList();
        Tensor? pooled = v.PooledOutput is null ? null : Clip.VisualProjection.Forward(v.PooledOutput);
        return (v, acts, pooled);
    }

    /// <param name="pixelValues">[B, 3, H, W] normalised query images (square patch grid).</param>
    /// <param name="inputIds">[B', T] prompt ids (B' = B, or a multiple of B: prompts grouped per image, image-major).</param>
    /// <param name="attentionMask">[B', T] 1/0.</param>
    /// <param name="conditionalPixelValues">prompt images instead of text.</param>
    /// <param name="conditionalEmbeddings">precomputed condition [B', projection_dim] (skips both prompt paths).</param>
    /// <param name="labels">[B', H', W'] float targets -> Loss = BCEWithLogits(logits, labels), mean.</param>
    public ClipSegOutput Forward(Tensor pixelValues, Tensor? inputIds = null, Tensor? attentionMask = null, Tensor? conditionalPixelValues = null,
        Tensor? conditionalEmbeddings = null, Tensor? labels = null, ClipSegForwardOptions? options = null)
    {
        options ??= new ClipSegForwardOptions();
        var sink = options.Sink;
        ClipVisionOutput vision; List<Tensor> acts; Tensor? pooled; ClipTextOutput? text = null;
        using (options.FreezeEncoders ? Tensor.NoGrad() : null)
        {
            (vision, acts, pooled) = EncodeImages(pixelValues, options.ComputePooledOutput, sink);
            if (conditionalEmbeddings is null)
                (conditionalEmbeddings, text) = ConditionalEmbeddings(inputIds, attentionMask, conditionalPixelValues, sink);
        }
        conditionalEmbeddings = conditionalEmbeddings.To(Decoder.FilmMul.Weight.Value.Device);
        int b = pixelValues.Shape[0], m = conditionalEmbeddings.Shape[0];
        if (m % b != 0)
            throw new ArgumentException($"Got {m} prompts for {b} query images; pass as many prompts as images (or a whole number of prompts per image).");
        if (pooled != null) sink?.Add("pooled_output", pooled);
        sink?.Add("conditional_embeddings", conditionalEmbeddings);

        var logits = Decoder.Forward(acts, conditionalEmbeddings, sink?.Scope("decoder."));
        sink?.Add("logits", logits);
        Tensor? loss = null;
        if (labels != null)
        {
            if (!labels.Shape.SequenceEqual(logits.Shape))
                throw new ArgumentException($"labels have shape {Shape.Format(labels.Shape)} but the logits are {Shape.Format(logits.Shape)}.");
            if (labels.DType != DType.F32) throw new ArgumentException($"labels must be float32 0/1 masks (found {labels.DType}).");
            loss = Ops.BceWithLogits(logits, labels.To(logits.Device), Reduction.Mean);
            sink?.Add("loss", loss);
        }
        return new ClipSegOutput(logits, conditionalEmbeddings, pooled, loss, vision, text);
    }
}
