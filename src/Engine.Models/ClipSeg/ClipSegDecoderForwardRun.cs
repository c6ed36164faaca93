using System.Globalization;
using System.Text.Json;
using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.ClipSeg;

/// <summary>What an "encoders + CLIPSeg decoder" forward pass reports to <c>engine forward</c>.</summary>
/// <param name="PooledOutput">CLIPSeg's visual_projection(pooler_output) of the query image; null where the model has none.</param>
internal sealed record ClipSegDecoderForwardOutputs(Tensor Logits, Tensor ConditionalEmbeddings, Tensor? PooledOutput, Tensor? Loss);

/// <summary>Inputs of an "encoders + CLIPSeg decoder" forward pass, as read from <c>engine forward</c>'s tensors.</summary>
internal sealed record ClipSegDecoderForwardRequest(Tensor PixelValues, Tensor? InputIds, Tensor? AttentionMask,
    Tensor? ConditionalPixelValues, Tensor? ConditionalEmbeddings, Tensor? Labels, bool FreezeEncoders, IntermediateSink? Sink);

/// <summary>
/// The <c>engine forward</c> contract shared by the CLIPSeg-decoder families (CLIPSeg, BiomedCLIPSeg): which inputs
/// are read, and the run itself: without gradients, or with the gradients of the BCE loss (or of a grad_probe.* loss)
/// for every parameter (missing ones as zeros), or only decoder.* ones with the flag "freeze-encoders". Each family's
/// runner supplies only its forward call.
/// </summary>
internal static class ClipSegDecoderForwardRun
{
    public const string FreezeEncodersFlag = "freeze-encoders";

    public static readonly string[] KnownInputs = { "pixel_values", "input_ids", "attention_mask", "conditional_pixel_values", "conditional_embeddings", "labels" };

    /// <summary>Reads the inputs (pixel_values required, float32) and notes unused inputs and unknown flags in <paramref name="result"/>.</summary>
    public static ClipSegDecoderForwardRequest ReadRequest(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options, ForwardResult result)
    {
        ForwardInputs.NoteUnused(inputs, KnownInputs, result);
        ForwardInputs.NoteUnknownFlags(options, new[] { FreezeEncodersFlag }, result);
        var pixels = ForwardInputs.Float(ForwardInputs.Require(inputs, "pixel_values", "the query images [B, 3, H, W]"), "pixel_values");
        return new ClipSegDecoderForwardRequest(pixels,
            ForwardInputs.Optional(inputs, "input_ids"),
            ForwardInputs.Optional(inputs, "attention_mask"),
            ForwardInputs.Optional(inputs, "conditional_pixel_values"),
            ForwardInputs.Optional(inputs, "conditional_embeddings"),
            ForwardInputs.Optional(inputs, "labels"),
            options.Has(FreezeEncodersFlag),
            options.RecordIntermediates ? new IntermediateSink(recordAttentions: true) : null);
    }

    /// <summary>
    /// Runs <paramref name="forward"/> and fills <paramref name="result"/>: logits, conditional_embeddings,
    /// pooled_output (when present), loss (with labels) and the sink's intermediates; with
    /// <see cref="ForwardOptions.ComputeGradients"/> also the gradients of <paramref name="model"/>'s parameters.
    /// </summary>
    /// <param name="outputsToCpu">copy the reported outputs to the CPU (otherwise they stay on the model's device).</param>
    public static ForwardResult Run(Module model, IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options,
        ClipSegDecoderForwardRequest request, ForwardResult result, Func<ClipSegDecoderForwardOutputs> forward, bool outputsToCpu)
    {
        if (!options.ComputeGradients)
        {
            using (Tensor.NoGrad()) Collect(forward(), request.Sink, result, outputsToCpu);
            return result;
        }

        GradientCollector.Zero(model);
        var output = forward();
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
        Collect(output, request.Sink, result, outputsToCpu);
        if (GradProbe.Present(inputs)) result.Outputs["grad_probe.loss"] = loss.Detach();
        bool freeze = request.FreezeEncoders;
        var (grads, without) = GradientCollector.Collect(model, zeroFillMissing: !freeze, toCpu: !options.GradientsOnDevice);
        result.Gradients = grads;
        result.GradientMetadata["loss"] = loss.Item().ToString("R", CultureInfo.InvariantCulture);
        result.GradientMetadata[freeze ? "params_without_grad" : "params_without_grad_saved_as_zero"] = JsonSerializer.Serialize(without);
        return result;
    }

    private static void Collect(ClipSegDecoderForwardOutputs o, IntermediateSink? sink, ForwardResult r, bool toCpu)
    {
        Tensor Out(Tensor t) => toCpu ? t.To(Device.Cpu) : t;
        if (sink != null) foreach (var (k, v) in sink.Tensors) r.Outputs[k] = Out(v);
        r.Outputs["logits"] = Out(o.Logits.Detach());
        r.Outputs["conditional_embeddings"] = Out(o.ConditionalEmbeddings.Detach());
        if (o.PooledOutput != null) r.Outputs["pooled_output"] = Out(o.PooledOutput.Detach());
        if (o.Loss != null) r.Outputs["loss"] = Out(o.Loss.Detach());
    }
}
