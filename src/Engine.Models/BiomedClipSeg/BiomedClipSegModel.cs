using Engine.Models.BiomedClip;
using Engine.Models.ClipSeg;
using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.BiomedClipSeg;

/// <summary>Outputs of <see cref="BiomedClipSegModel.Forward"/>.</summary>
/// <param name="Logits">[B, H, W] segmentation logits at the input resolution (224x224 for the real model).</param>
/// <param name="ConditionalEmbeddings">[B, embed_dim] FiLM condition (projected text embedding, not normalised).</param>
/// <param name="Loss">BCE-with-logits (mean) against labels; null without labels.</param>
public sealed record BiomedClipSegOutput(Tensor Logits, Tensor ConditionalEmbeddings, Tensor? Loss);

/// <summary>Switches of a BiomedCLIPSeg forward pass.</summary>
public sealed record BiomedClipSegForwardOptions
{
    /// <summary>Run both encoders without a tape, so only decoder.* parameters get gradients (the study's
    /// decoder-only training; as CLIPSeg's transformers semantics).</summary>
    public bool FreezeEncoders { get; init; }

    /// <summary>Records vision.block{i}, text.*, conditional_embeddings, decoder.* (CLIPSeg decoder names), logits, loss.</summary>
    public IntermediateSink? Sink { get; init; }
}

/// <summary>
/// BiomedCLIPSeg (keys <c>biomedclip.*</c> = the open_clip BiomedCLIP state dict under a prefix, and <c>decoder.*</c> =
/// a CLIPSeg decoder with transformers' key names). See <see cref="BiomedClipSegConfig"/> for the layer choice.
/// </summary>
public sealed class BiomedClipSegModel : Module
{
    public BiomedClipSegModel(BiomedClipSegConfig config, int seed = 0)
    {
        config.Validate();
        Config = config;
        BiomedClip = Add("biomedclip", new BiomedClipModel(config.BiomedClip, seed));
        Decoder = Add("decoder", new ClipSegDecoder(config.DecoderOptions, new Random(seed + 7)));
    }

    public BiomedClipSegConfig Config { get; }
    public BiomedClipModel BiomedClip { get; }
    public ClipSegDecoder Decoder { get; }

    /// <summary>Decoder activations: outputs of the configured ViT blocks (shallow to deep); the ViT stops after the
    /// deepest one (later blocks, the final norm and the image head cannot influence the logits).</summary>
    public List<Tensor> EncodeImages(Tensor pixelValues, IntermediateSink? sink = null)
    {
        var blocks = Config.ExtractBlocks;
        var vit = BiomedClip.Visual.Trunk.Forward(pixelValues, keepIntermediates: false, lastBlock: blocks.Max());
        if (sink is not null)
            for (int i = 0; i < vit.BlockOutputs.Count; i++) sink.Add($"vision.block{i}", vit.BlockOutputs[i]);
        return blocks.Select(b => vit.BlockOutputs[b]).ToList();
    }

    /// <summary>FiLM conditions [P, embed_dim] of prompts given as ids (padded with [PAD]): open_clip encode_text.</summary>
    public Tensor EncodeText(Tensor inputIds, IntermediateSink? sink = null)
    {
        var t = BiomedClip.Text.Forward(inputIds, keepIntermediates: false);
        sink?.Add("text.pooled", t.Pooled);
        return t.Features;
    }

    /// <summary>FiLM conditions from prompt images (visual prompts): BiomedCLIP image features, same space as text.</summary>
    public Tensor EncodePromptImages(Tensor conditionalPixelValues) => BiomedClip.EncodeImage(conditionalPixelValues);

    /// <param name="pixelValues">[B, 3, S, S] normalised query images (S = the ViT's image size).</param>
    /// <param name="inputIds">[B', T] prompt ids (B' = B, or a multiple: prompts grouped per image, image-major).</param>
    /// <param name="conditionalPixelValues">prompt images instead of text.</param>
    /// <param name="conditionalEmbeddings">precomputed condition [B', embed_dim] (skips both prompt paths).</param>
    /// <param name="labels">[B', S, S] float 0/1 targets -> Loss = BCEWithLogits(logits, labels), mean.</param>
    public BiomedClipSegOutput Forward(Tensor pixelValues, Tensor? inputIds = null, Tensor? conditionalPixelValues = null,
        Tensor? conditionalEmbeddings = null, Tensor? labels = null, BiomedClipSegForwardOptions? options = null)
    {
        options ??= new BiomedClipSegForwardOptions();
        var sink = options.Sink;
        List<Tensor> acts;
        using (options.FreezeEncoders ? Tensor.NoGrad() : null)
        {
            acts = EncodeImages(pixelValues, sink);
            if (conditionalEmbeddings is null)
            {
                if (inputIds is not null) conditionalEmbeddings = EncodeText(inputIds, sink);
                else if (conditionalPixelValues is not null) conditionalEmbeddings = EncodePromptImages(conditionalPixelValues);
                else throw new ArgumentException("BiomedCLIPSeg needs a prompt: input_ids (text), conditional_pixel_values (a prompt image) or conditional_embeddings.");
            }
        }
        conditionalEmbeddings = conditionalEmbeddings.To(Decoder.FilmMul.Weight.Value.Device);
        int b = pixelValues.Shape[0], m = conditionalEmbeddings.Shape[0];
        if (m % b != 0)
            throw new ArgumentException($"Got {m} prompts for {b} query images; pass as many prompts as images (or a whole number of prompts per image).");
        sink?.Add("conditional_embeddings", conditionalEmbeddings);

        var logits = Decoder.Forward(acts, conditionalEmbeddings, sink?.Scope("decoder."));
        sink?.Add("logits", logits);
        Tensor? loss = null;
        if (labels is not null)
        {
            if (!labels.Shape.SequenceEqual(logits.Shape))
                throw new ArgumentException($"labels have shape {Shape.Format(labels.Shape)} but the logits are {Shape.Format(logits.Shape)}.");
            if (labels.DType != DType.F32) throw new ArgumentException($"labels must be float32 0/1 masks (found {labels.DType}).");
            loss = Ops.BceWithLogits(logits, labels.To(logits.Device), Reduction.Mean);
            sink?.Add("loss", loss);
        }
        return new BiomedClipSegOutput(logits, conditionalEmbeddings, loss);
    }
}
