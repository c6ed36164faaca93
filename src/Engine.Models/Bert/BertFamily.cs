using Engine.Models.Loading;
using Engine.Text;
using Engine.Text.Bert;

namespace Engine.Models.Bert;

/// <summary>Model family "bert": a Hugging Face BertModel folder (PubMedBERT / BiomedBERT style).</summary>
public sealed class BertFamily : IModelFamily
{
    public string Name => "bert";

    public bool CanOpen(ModelFolder folder) => BertFolder.IsBertFolder(folder);

    public IForwardRunner OpenForwardRunner(ModelFolder folder, Device device) => new BertForwardRunner(BertFolder.Load(folder, device));

    /// <summary>The folder's vocab.txt with transformers' slow BertTokenizer rules, padded to the longest text.</summary>
    public TokenizedBatch? Tokenize(ModelFolder folder, IReadOnlyList<string> texts)
        => BertWordPieceTokenizer.FromFolder(folder.Path).Encode(texts, padToLongest: true);
}

/// <summary>
/// <c>engine forward</c> on a BERT folder. Inputs: <c>input_ids</c>, optional <c>attention_mask</c> and
/// <c>token_type_ids</c>, optional <c>grad_probe.*</c> weights. Outputs (golden names of bert_tiny):
/// <c>last_hidden_state</c>, <c>pooler_output</c> (when the model has a pooler), <c>embeddings</c> and
/// <c>hidden_states.i</c>; with intermediates also <c>attentions.i</c>; when a mask or token types were given, the
/// same ids without them as <c>defaults.*</c>; with probes <c>grad_probe.loss</c>, whose parameter gradients
/// <c>--grads</c> returns (every parameter; unused embedding rows are zero).
/// </summary>
public sealed class BertForwardRunner : IForwardRunner
{
    private readonly BertModel _model;
    private readonly object _lock = new();

    public BertForwardRunner(BertModel model) { _model = model; }

    public IReadOnlyCollection<string> KnownInputs => new[] { "input_ids", "attention_mask", "token_type_ids" };

    public ForwardResult Run(IReadOnlyDictionary<string, Tensor> inputs, ForwardOptions options)
    {
        ForwardInputs.PackUnlessTraining(_model, options);
        if (!inputs.TryGetValue("input_ids", out var ids)) throw new KeyNotFoundException("A BERT forward needs 'input_ids' [batch, tokens] (int64).");
        inputs.TryGetValue("attention_mask", out var mask);
        inputs.TryGetValue("token_type_ids", out var types);
        bool probe = GradProbe.Present(inputs);
        if (options.ComputeGradients && !probe)
            throw new ArgumentException("BERT has no loss of its own: --grads needs grad_probe.<output> weight tensors among the inputs (loss = sum(output * weights)).");

        var result = new ForwardResult();
        foreach (var f in options.Flags) result.Notes.Add($"flag '{f}' has no meaning for a BERT model; ignored");
        lock (_lock)
        {
            _model.Eval();
            GradientCollector.Zero(_model);
            using (options.ComputeGradients ? null : Tensor.NoGrad())
            {
                var o = _model.Forward(ids, mask, types, outputHiddenStates: true, outputAttentions: options.RecordIntermediates);
                var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["last_hidden_state"] = o.LastHiddenState };
                if (o.PoolerOutput is not null) outputs["pooler_output"] = o.PoolerOutput;
                outputs["embeddings"] = o.HiddenStates[0];
                for (int i = 0; i < o.HiddenStates.Count; i++) outputs[$"hidden_states.{i}"] = o.HiddenStates[i];
                for (int i = 0; i < o.Attentions.Count; i++) outputs[$"attentions.{i}"] = o.Attentions[i];

                if (probe)
                {
                    var loss = GradProbe.Loss(inputs, outputs)!;
                    outputs["grad_probe.loss"] = loss;
                    if (options.ComputeGradients)
                    {
                        loss.Backward();
                        var (grads, without) = GradientCollector.Collect(_model, zeroFillMissing: true, toCpu: !options.GradientsOnDevice);
                        result.Gradients = grads;
                        result.GradientMetadata["loss"] = loss.Item().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                        result.GradientMetadata["params_without_grad"] = string.Join(",", without);
                        GradientCollector.Zero(_model);
                    }
                }

                if (mask is not null || types is not null)
                {
                    using var _ = Tensor.NoGrad();
                    var d = _model.Forward(ids);
                    outputs["defaults.last_hidden_state"] = d.LastHiddenState;
                    if (d.PoolerOutput is not null) outputs["defaults.pooler_output"] = d.PoolerOutput;
                }
                foreach (var (k, v) in outputs) result.Outputs[k] = v.Detach().To(Device.Cpu).Contiguous();
            }
        }
        return result;
    }

    public void Dispose() { }
}
