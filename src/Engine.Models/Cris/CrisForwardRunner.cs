using System.Globalization;
using System.Text.Json;
using Engine.Models.Loading;

namespace Engine.Models.Cris;

/// <summary>
/// <c>engine forward</c> on a CRIS folder. Inputs: <c>pixel_values</c> [B,3,H,W], <c>word_ids</c> [B,L] (0-padded CLIP
/// ids), optional <c>pad_mask</c> [B,L] (true = padding; default word_ids == 0 as CRIS computes it), optional
/// <c>target</c> [B,1,H,W] 0/1. Outputs (eval mode, running statistics): <c>pred_logits</c> [B,1,H/4,W/4],
/// <c>pred_prob</c> (sigmoid), with a target also <c>loss</c> and <c>target_resized</c>; intermediates under the golden
/// names. With gradients (needs <c>target</c>, or grad_probe.* weights): training mode — batch norms on batch
/// statistics (flag "frozen-bn": running statistics) — and the BCE loss backpropagated to every parameter (unused
/// ones as zeros, like grads_train_bn.safetensors); outputs <c>loss</c>, <c>pred_logits</c>, <c>pred_prob</c> of that
/// pass, the same under the golden suffixed names (<c>loss_train_bn</c>, <c>pred_logits_train_bn</c> or
/// <c>*_frozen_bn</c>), <c>target_resized</c>, and (batch statistics) <c>bn_after_train_step.*</c> = the running
/// statistics after the step. The model's running statistics are restored afterwards, so a runner can be reused.
/// </summary>
public sealed class CrisForwardRunner : IForwardRunner
{
    public const string FrozenBnFlag = "frozen-bn";
    private static readonly string[] Known = { "pixel_values", "word_ids", "pad_mask", "target" };

    public CrisForwardRunner(CrisModel model) { Model = model; }

    public CrisModel Model { get; }

    public IReadOnlyCollection<string> KnownInputs => Known;

    public ForwardResult Run(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options)
    {
        ForwardInputs.PackUnlessTraining(Model, options);
        var result = new ForwardResult();
        ForwardInputs.NoteUnused(inputs, Known, result);
        ForwardInputs.NoteUnknownFlags(options, new[] { FrozenBnFlag }, result);
        var pixels = ForwardInputs.Float(ForwardInputs.Require(inputs, "pixel_values", "the images [B, 3, H, W], CLIP-normalised"), "pixel_values");
        var ids = ForwardInputs.Require(inputs, "word_ids", "CLIP token ids [B, word_len], 0-padded");
        var padMask = ForwardInputs.Optional(inputs, "pad_mask");
        var target = ForwardInputs.Optional(inputs, "target");
        if (target != null) target = ForwardInputs.Float(target, "target");
        if (padMask != null) CheckPadMask(padMask, ids, result);
        if (ids.Shape.Length == 2 && ids.Shape[1] != Model.Config.WordLen)
            result.Notes.Add($"word_ids has {ids.Shape[1]} positions, the config's word_len is {Model.Config.WordLen} (CRIS itself requires them equal; the causal mask is sized to the input here)");
        var sink = options.RecordIntermediates ? new IntermediateSink(recordAttentions: false) : null;

        if (!options.ComputeGradients)
        {
            Model.Eval();
            using (Tensor.NoGrad())
            {
                var logits = Model.Forward(pixels, ids, padMask, sink);
                Put(result, "pred_logits", logits);
                Put(result, "pred_prob", Ops.Sigmoid(logits));
                if (target != null)
                {
                    Put(result, "target_resized", CrisModel.ResizeTarget(target, logits.Shape[2], logits.Shape[3]));
                    Put(result, "loss", CrisModel.Loss(logits, target.To(logits.Device)));
                }
            }
            if (sink != null) foreach (var (k, v) in sink.Tensors) Put(result, k, v);
            return result;
        }

        bool frozen = options.Has(FrozenBnFlag);
        string suffix = frozen ? "_frozen_bn" : "_train_bn";
        var saved = Model.BatchNorms().Select(b => (b.Norm, b.Norm.RunningMean.Value.Detach().Clone(), b.Norm.RunningVar.Value.Detach().Clone(), b.Norm.NumBatchesTracked.Value)).ToList();
        try
        {
            Model.Train();
            Model.FreezeBatchNorm(frozen);
            GradientCollector.Zero(Model);
            var logits = Model.Forward(pixels, ids, padMask, sink);
            Tensor loss;
            if (GradProbe.Present(inputs))
            {
                loss = GradProbe.Loss(inputs, new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["pred_logits"] = logits })!;
                result.Outputs["grad_probe.loss"] = loss.Detach();
            }
            else
            {
                if (target is null) throw new ArgumentException("--grads needs a 'target' input [B, 1, H, W] (0/1 mask; CRIS's loss is BCE-with-logits against it resized to the prediction) or grad_probe.* weights.");
                loss = CrisModel.Loss(logits, target.To(logits.Device));
                Put(result, "target_resized", CrisModel.ResizeTarget(target, logits.Shape[2], logits.Shape[3]));
            }
            loss.Backward();
            Put(result, "loss", loss);
            Put(result, "loss" + suffix, loss);
            Put(result, "pred_logits", logits);
            Put(result, "pred_logits" + suffix, logits);
            Put(result, "pred_prob", Ops.Sigmoid(logits.Detach()));
            if (!frozen)
                foreach (var (name, bn) in Model.BatchNorms())
                {
                    Put(result, $"bn_after_train_step.{name}.running_mean", bn.RunningMean.Value);
                    Put(result, $"bn_after_train_step.{name}.running_var", bn.RunningVar.Value);
                    result.Outputs[$"bn_after_train_step.{name}.num_batches_tracked"] = bn.NumBatchesTracked.Value;
                }
            if (sink != null) foreach (var (k, v) in sink.Tensors) Put(result, k, v);
            var (grads, without) = GradientCollector.Collect(Model, zeroFillMissing: true, toCpu: !options.GradientsOnDevice);
            result.Gradients = grads;
            result.GradientMetadata["loss"] = loss.Item().ToString("R", CultureInfo.InvariantCulture);
            result.GradientMetadata["batch_norm"] = frozen ? "running statistics (frozen)" : "batch statistics (training mode)";
            result.GradientMetadata["params_without_grad_saved_as_zero"] = JsonSerializer.Serialize(without);
            return result;
        }
        finally
        {
            foreach (var (bn, mean, var, count) in saved)
            {
                bn.RunningMean.Value = mean; bn.RunningVar.Value = var; bn.NumBatchesTracked.Value = count;
            }
            Model.FreezeBatchNorm(false);
            Model.Eval();
        }
    }

    private static void Put(ForwardResult r, string name, Tensor t) => r.Outputs[name] = t.Detach().To(Device.Cpu).Contiguous();

    private static void CheckPadMask(Tensor padMask, Tensor ids, ForwardResult result)
    {
        if (!padMask.Shape.SequenceEqual(ids.Shape))
            throw new ArgumentException($"pad_mask {Shape.Format(padMask.Shape)} must have the shape of word_ids {Shape.Format(ids.Shape)}.");
        var given = padMask.ToInt64Array(); var own = ids.ToInt64Array();
        for (int i = 0; i < given.Length; i++)
            if ((given[i] != 0) != (own[i] == 0))
            {
                result.Notes.Add("pad_mask differs from CRIS's own rule (word_ids == 0); the given pad_mask is used");
                return;
            }
    }

    public void Dispose() { }
}
