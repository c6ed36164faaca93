using System.Globalization;
using System.Text.Json;
using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>Shared shape of the CLIP runners: run (recording when gradients are wanted), then backpropagate the grad_probe.* loss.</summary>
public abstract class ClipForwardRunnerBase : IForwardRunner
{
    protected ClipForwardRunnerBase(Module model) { Model = model; }

    public Module Model { get; }
    public abstract IReadOnlyCollection<string> KnownInputs { get; }

    /// <summary>Runs the model, filling named outputs (graph kept when recording) and intermediates into the sink.</summary>
    protected abstract Dictionary<string, Tensor> Forward(IReadOnlyDictionary<string, Tensor> inputs, IntermediateSink? sink);

    public ForwardResult Run(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options)
    {
        ForwardInputs.PackUnlessTraining(Model, options);
        var result = new ForwardResult();
        ForwardInputs.NoteUnused(inputs, KnownInputs, result);
        ForwardInputs.NoteUnknownFlags(options, Array.Empty<string>(), result);
        var sink = options.RecordIntermediates ? new IntermediateSink(recordAttentions: true) : null;
        Dictionary<string, Tensor> outputs;
        if (!options.ComputeGradients)
        {
            using (Tensor.NoGrad()) outputs = Forward(inputs, sink);
        }
        else
        {
            GradientCollector.Zero(Model);
            outputs = Forward(inputs, sink);
            var loss = GradProbe.Loss(inputs, outputs)
                       ?? throw new ArgumentException("--grads on a CLIP tower needs grad_probe.<output> weights in the inputs (loss = sum of output * weight).");
            loss.Backward();
            result.Outputs["grad_probe.loss"] = loss.Detach();
            var (grads, without) = GradientCollector.Collect(Model, zeroFillMissing: true, toCpu: !options.GradientsOnDevice);
            result.Gradients = grads;
            result.GradientMetadata["loss"] = loss.Item().ToString("R", CultureInfo.InvariantCulture);
            result.GradientMetadata["params_without_grad_saved_as_zero"] = JsonSerializer.Serialize(without);
        }
        if (sink != null) foreach (var (k, v) in sink.Tensors) result.Outputs[k] = v;
        foreach (var (k, v) in outputs) result.Outputs[k] = v.Detach();
        return result;
    }

    public void Dispose() { }
}

/// <summary>clip_text_model: input_ids (+ attention_mask) -> last_hidden_state, pooler_output, text_embeds.</summary>
public sealed class ClipTextForwardRunner : ClipForwardRunnerBase
{
    private static readonly string[] Known = { "input_ids", "attention_mask" };
    private readonly ClipTextModelWithProjection _model;

    public ClipTextForwardRunner(ClipTextModelWithProjection model) : base(model) { _model = model; }

    public override IReadOnlyCollection<string> KnownInputs => Known;

    protected override Dictionary<string, Tensor> Forward(IReadOnlyDictionary<string, Tensor> inputs, IntermediateSink? sink)
    {
        var ids = ForwardInputs.Require(inputs, "input_ids", "token ids [B, T]");
        var (o, e) = _model.Forward(ids, ForwardInputs.Optional(inputs, "attention_mask"), sink);
        return new(StringComparer.Ordinal) { ["last_hidden_state"] = o.LastHiddenState, ["pooler_output"] = o.PooledOutput, ["text_embeds"] = e };
    }
}

/// <summary>clip_vision_model: pixel_values -> last_hidden_state, pooler_output, image_embeds.</summary>
public sealed class ClipVisionForwardRunner : ClipForwardRunnerBase
{
    private static readonly string[] Known = { "pixel_values" };
    private readonly ClipVisionModelWithProjection _model;

    public ClipVisionForwardRunner(ClipVisionModelWithProjection model) : base(model) { _model = model; }

    public override IReadOnlyCollection<string> KnownInputs => Known;

    protected override Dictionary<string, Tensor> Forward(IReadOnlyDictionary<string, Tensor> inputs, IntermediateSink? sink)
    {
        var px = ForwardInputs.Float(ForwardInputs.Require(inputs, "pixel_values", "images [B, 3, H, W]"), "pixel_values");
        var (o, e) = _model.Forward(px, sink);
        return new(StringComparer.Ordinal) { ["last_hidden_state"] = o.LastHiddenState, ["pooler_output"] = o.PooledOutput!, ["image_embeds"] = e };
    }
}

/// <summary>clip (CLIPModel): any of pixel_values / input_ids -> image_embeds / text_embeds (L2-normalised, as CLIPModel
/// returns them) and, with both, logits_per_image / logits_per_text.</summary>
public sealed class ClipModelForwardRunner : ClipForwardRunnerBase
{
    private static readonly string[] Known = { "pixel_values", "input_ids", "attention_mask" };
    private readonly ClipModel _model;

    public ClipModelForwardRunner(ClipModel model) : base(model) { _model = model; }

    public override IReadOnlyCollection<string> KnownInputs => Known;

    protected override Dictionary<string, Tensor> Forward(IReadOnlyDictionary<string, Tensor> inputs, IntermediateSink? sink)
    {
        var px = ForwardInputs.Optional(inputs, "pixel_values");
        var ids = ForwardInputs.Optional(inputs, "input_ids");
        if (px is null && ids is null) throw new KeyNotFoundException("A CLIP model needs pixel_values and/or input_ids in the inputs.");
        var r = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (px != null && ids != null)
        {
            var (img, txt, lpi, lpt) = _model.Forward(ForwardInputs.Float(px, "pixel_values"), ids, ForwardInputs.Optional(inputs, "attention_mask"), sink);
            r["image_embeds"] = img; r["text_embeds"] = txt; r["logits_per_image"] = lpi; r["logits_per_text"] = lpt;
            return r;
        }
        if (px != null) r["image_embeds"] = Ops.L2Normalize(_model.GetImageFeatures(ForwardInputs.Float(px, "pixel_values"), sink?.Scope("vision.")), -1);
        if (ids != null) r["text_embeds"] = Ops.L2Normalize(_model.GetTextFeatures(ids, ForwardInputs.Optional(inputs, "attention_mask"), sink?.Scope("text.")), -1);
        return r;
    }
}
