using System.Globalization;
using System.Text.Json;
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
    public const string FreezeEncodersFlag = "freeze-encoders";
    private static readonly string[] Known = { "pixel_values", "input_ids", "attention_mask", "conditional_pixel_values", "conditional_embeddings", "labels" };

    public ClipSegForwardRunner(ClipSegForImageSegmentation model) { Model = model; }

    public ClipSegForImageSegmentation Model { get; }

    public IReadOnlyCollection<string> KnownInputs => Known;

    public ForwardResult Run(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options)
    {
        var result = new ForwardResult();
        ForwardInputs.NoteUnused(inputs, Known, result);
        ForwardInputs.NoteUnknownFlags(options, new[] { FreezeEncodersFlag }, result);
        var pixels = ForwardInputs.Float(ForwardInputs.Require(inputs, "pixel_values", "the query images [B, 3, H, W]"), "pixel_values");
        var ids = ForwardInputs.Optional(inputs, "input_ids");
        var mask = ForwardInputs.Optional(inputs, "attention_mask");
        var condPixels = ForwardInputs.Optional(inputs, "conditional_pixel_values");
        var condEmb = ForwardInputs.Optional(inputs, "conditional_embeddings");
        var labels = ForwardInputs.Optional(inputs, "labels");
        bool freeze = options.Has(FreezeEncodersFlag);
        var sink = options.RecordIntermediates ? new IntermediateSink(recordAttentions: true) : null;
        var fo = new ClipSegForwardOptions { FreezeEncoders = freeze, ComputePooledOutput = true, Sink = sink };

        ClipSegOutput output;
        if (!options.ComputeGradients)
        {
            using (Tensor.NoGrad()) output = Model.Forward(pixels, ids, mask, condPixels, condEmb, labels, fo);
            Collect(output, sink, result);
            return result;
        }

        GradientCollector.Zero(Model);
        output = Model.Forward(pixels, ids, mask, condPixels, condEmb, labels, fo);
        var named = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["logits"] = output.Logits,
            ["conditional_embeddings"] = output.ConditionalEmbeddings,
        };
        if (output.PooledOutput != null) named["pooled_output"] = output.PooledOutput;
        var loss = GradProbe.Loss(inputs, named) ?? output.Loss
                   ?? throw new ArgumentException("--grads needs a loss: give 'labels' (BCE-with-logits) or grad_probe.* weights in the inputs.");
        if (!loss.RequiresGrad) throw new InvalidOperationException("The loss does not depend on any trainable parameter.");
        loss.Backward();
        Collect(output, sink, result);
        if (GradProbe.Present(inputs)) result.Outputs["grad_probe.loss"] = loss.Detach();
        var (grads, without) = GradientCollector.Collect(Model, zeroFillMissing: !freeze);
        result.Gradients = grads;
        result.GradientMetadata["loss"] = loss.Item().ToString("R", CultureInfo.InvariantCulture);
        result.GradientMetadata[freeze ? "params_without_grad" : "params_without_grad_saved_as_zero"] = JsonSerializer.Serialize(without);
        return result;
    }

    private static void Collect(ClipSegOutput o, IntermediateSink? sink, ForwardResult r)
    {
        if (sink != null) foreach (var (k, v) in sink.Tensors) r.Outputs[k] = v;
        r.Outputs["logits"] = o.Logits.Detach();
        r.Outputs["conditional_embeddings"] = o.ConditionalEmbeddings.Detach();
        if (o.PooledOutput != null) r.Outputs["pooled_output"] = o.PooledOutput.Detach();
        if (o.Loss != null) r.Outputs["loss"] = o.Loss.Detach();
    }

    public void Dispose() { }
}
