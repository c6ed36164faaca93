using Engine.Models.Loading;

namespace Engine.Models.ClipSeg;

/// <summary>
/// <c>engine forward</c> on a CLIPSeg folder. Inputs: pixel_values, input_ids (+ attention_mask) or
/// conditional_pixel_values or conditional_embeddings, optional labels. Outputs: logits, conditional_embeddings,
/// pooled_output, loss (with labels), plus intermediates on request. Gradients: of the BCE loss (or of a grad_probe.*
/// loss) for every parameter through the whole network (missing ones as zeros, like grads_full_graph.safetensors);
/// with flag "freeze-encoders", transformers' semantics (towers under no_grad; only decoder.* returned, like grads.safetensors).
/// </summary>
public sealed class ClipSegForwardRunner : IForwardRunner
{
    public const string FreezeEncodersFlag = ClipSegDecoderForwardRun.FreezeEncodersFlag;

    public ClipSegForwardRunner(ClipSegForImageSegmentation model) { Model = model; }

    public ClipSegForImageSegmentation Model { get; }

    public IReadOnlyCollection<string> KnownInputs => ClipSegDecoderForwardRun.KnownInputs;

    public ForwardResult Run(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options)
    {
        ForwardInputs.PackUnlessTraining(Model, options);
        var result = new ForwardResult();
        var r = ClipSegDecoderForwardRun.ReadRequest(inputs, options, result);
        var fo = new ClipSegForwardOptions { FreezeEncoders = r.FreezeEncoders, ComputePooledOutput = true, Sink = r.Sink };
        return ClipSegDecoderForwardRun.Run(Model, inputs, options, r, result, () =>
        {
            var o = Model.Forward(r.PixelValues, r.InputIds, r.AttentionMask, r.ConditionalPixelValues, r.ConditionalEmbeddings, r.Labels, fo);
            return new ClipSegDecoderForwardOutputs(o.Logits, o.ConditionalEmbeddings, o.PooledOutput, o.Loss);
        }, outputsToCpu: false);
    }

    public void Dispose() { }
}
