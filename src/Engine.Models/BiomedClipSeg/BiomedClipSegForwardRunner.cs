using System.Globalization;
using System.Text.Json;
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
    public const string FreezeEncodersFlag = "freeze-encoders";
    private static readonly string[] Known = { "pixel_values", "input_ids", "attention_mask", "conditional_pixel_values", "conditional_embeddings", "labels" };
    private readonly object _lock = new();

    public BiomedClipSegForwardRunner(BiomedClipSegModel model) { Model = model; }

    public BiomedClipSegModel Model { get; }

    public IReadOnlyCollection<string> KnownInputs => Known;

    public ForwardResult Run(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options)
    {
        var result = new ForwardResult();
        ForwardInputs.NoteUnused(inputs, Known, result);
        ForwardInputs.NoteUnknownFlags(options, new[] { FreezeEncodersFlag }, result);
        if (inputs.ContainsKey("attention_mask")) result.Notes.Add("attention_mask is not used: the mask is derived from input_ids != [PAD], as open_clip does");
        var pixels = ForwardInputs.Float(ForwardInputs.Require(inputs, "pixel_values", "the query images [B, 3, H, W]"), "pixel_values");
        var ids = ForwardInputs.Optional(inputs, "input_ids");
        var condPixels = ForwardInputs.Optional(inputs, "conditional_pixel_values");
        var condEmb = ForwardInputs.Optional(inputs, "conditional_embeddings");
        var labels = ForwardInputs.Optional(inputs, "labels");
        bool freeze = options.Has(FreezeEncodersFlag);
        var sink = options.RecordIntermediates ? new IntermediateSink(recordAttentions: true) : null;
        var fo = new BiomedClipSegForwardOptions { FreezeEncoders = freeze, Sink = sink };

        lock (_lock)
        {
            Model.Eval();
            if (!options.ComputeGradients)
            {
                using (Tensor.NoGrad())
                {
                    var o = Model.Forward(pixels, ids, condPixels, condEmb, labels, fo);
                    Collect(o, sink, result);
                }
                return result;
            }

            GradientCollector.Zero(Model);
            var output = Model.Forward(pixels, ids, condPixels, condEmb, labels, fo);
            var named = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["logits"] = output.Logits, ["conditional_embeddings"] = output.ConditionalEmbeddings };
            var loss = GradProbe.Loss(inputs, named) ?? output.Loss
                       ?? throw new ArgumentException("--grads needs a loss: give 'labels' (BCE-with-logits) or grad_probe.* weights in the inputs.");
            if (!loss.RequiresGrad) throw new InvalidOperationException("The loss does not depend on any trainable parameter.");
            loss.Backward();
            Collect(output, sink, result);
            if (GradProbe.Present(inputs)) result.Outputs["grad_probe.loss"] = loss.Detach();
            var (grads, without) = GradientCollector.Collect(Model, zeroFillMissing: !freeze);
            GradientCollector.Zero(Model);
            result.Gradients = grads;
            result.GradientMetadata["loss"] = loss.Item().ToString("R", CultureInfo.InvariantCulture);
            result.GradientMetadata[freeze ? "params_without_grad" : "params_without_grad_saved_as_zero"] = JsonSerializer.Serialize(without);
            return result;
        }
    }

    private static void Collect(BiomedClipSegOutput o, IntermediateSink? sink, ForwardResult r)
    {
        if (sink != null) foreach (var (k, v) in sink.Tensors) r.Outputs[k] = v.To(Device.Cpu);
        r.Outputs["logits"] = o.Logits.Detach().To(Device.Cpu);
        r.Outputs["conditional_embeddings"] = o.ConditionalEmbeddings.Detach().To(Device.Cpu);
        if (o.Loss != null) r.Outputs["loss"] = o.Loss.Detach().To(Device.Cpu);
    }

    public void Dispose() { }
}
