using Engine.Models.ClipSeg;
using Engine.Models.Loading;

namespace Engine.Models.BiomedClipSeg;

/// <summary>
/// <c>engine forward</c> on a BiomedCLIPSeg folder, same contract as CLIPSeg's runner. Inputs: pixel_values, input_ids
/// (padded with [PAD]; the mask is derived from them, an attention_mask input is not used) or conditional_pixel_values
/// or conditional_embeddings, optional labels. Outputs: logits, conditional_embeddings, loss (with labels), plus
/// intermediates on request (vision.block{i}, text.pooled, decoder.*). Gradients: of the BCE loss (or a grad_probe.*
/// loss) through the whole network (missing ones as zeros); with flag "freeze-encoders" only decoder.* (the study's
/// decoder-only training).
/// </summary>
public sealed class BiomedClipSegForwardRunner : IForwardRunner
{
    public const string FreezeEncodersFlag = ClipSegDecoderForwardRun.FreezeEncodersFlag;
    private readonly object _lock = new();

    public BiomedClipSegForwardRunner(BiomedClipSegModel model) { Model = model; }

    public BiomedClipSegModel Model { get; }

    public IReadOnlyCollection<string> KnownInputs => ClipSegDecoderForwardRun.KnownInputs;

    public ForwardResult Run(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options)
    {
        ForwardInputs.PackUnlessTraining(Model, options);
        var result = new ForwardResult();
        var r = ClipSegDecoderForwardRun.ReadRequest(inputs, options, result);
        if (r.AttentionMask != null) result.Notes.Add("attention_mask is not used: the mask is derived from input_ids != [PAD], as open_clip does");
        var fo = new BiomedClipSegForwardOptions { FreezeEncoders = r.FreezeEncoders, Sink = r.Sink };

        lock (_lock)
        {
            Model.Eval();
            ClipSegDecoderForwardRun.Run(Model, inputs, options, r, result, () =>
            {
                var o = Model.Forward(r.PixelValues, r.InputIds, r.ConditionalPixelValues, r.ConditionalEmbeddings, r.Labels, fo);
                return new ClipSegDecoderForwardOutputs(o.Logits, o.ConditionalEmbeddings, null, o.Loss);
            }, outputsToCpu: true);
            // The result holds the gradients now: drop the model's references so they can be freed.
            if (options.ComputeGradients) GradientCollector.Zero(Model);
            return result;
        }
    }

    public void Dispose() { }
}
