using Engine.Nn;

namespace Engine.Models.Bert;

/// <summary>
/// Hugging Face <c>BertModel</c> (the PubMedBERT / BiomedBERT encoder) with the key names <c>save_pretrained</c>
/// writes for a bare BertModel: <c>embeddings.*</c>, <c>encoder.layer.N.*</c> and, when the config has a pooling
/// layer, <c>pooler.dense.*</c>. Post-norm layers, LayerNorm eps from the config (1e-12), exact GELU, additive
/// key-padding mask with float32.min. See <see cref="BertCheckpoint"/> for the key variants real files use.
/// </summary>
public sealed class BertModel : Module
{
    public BertModel(BertConfig config, int seed = 0)
    {
        config.Validate();
        Config = config;
        var rng = DropoutRandom = new ReseedableRandom(seed);
        Embeddings = Add("embeddings", new BertEmbeddings(config, rng));
        Encoder = Add("encoder", new BertEncoder(config, rng));
        if (config.AddPoolingLayer) Pooler = Add("pooler", new BertPooler(config, rng));
    }

    public BertConfig Config { get; }
    /// <summary>The stream every dropout of this model draws from (initialisation drew from it first); reseed it to
    /// make training-mode dropout reproducible per step.</summary>
    public ReseedableRandom DropoutRandom { get; }
    public BertEmbeddings Embeddings { get; }
    public BertEncoder Encoder { get; }
    public BertPooler? Pooler { get; }

    /// <param name="inputIds">[B, T] int64/int32 token ids.</param>
    /// <param name="attentionMask">[B, T] 1 = real token, 0 = padding; null means all ones.</param>
    /// <param name="tokenTypeIds">[B, T] segment ids; null means all zeros.</param>
    public BertModelOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null,
        bool outputHiddenStates = false, bool outputAttentions = false)
    {
        BertMasks.CheckIds(inputIds, "input_ids");
        var device = Embeddings.WordEmbeddings.Weight.Value.Device;
        Tensor? mask = null;
        if (attentionMask is not null)
        {
            if (!attentionMask.Shape.SameAs(inputIds.Shape))
                throw new ArgumentException($"attention_mask {Shape.Format(attentionMask.Shape)} does not match input_ids {Shape.Format(inputIds.Shape)}.");
            mask = BertMasks.Additive(attentionMask, device);
        }

        var hidden = new List<Tensor>();
        var attentions = new List<Tensor>();
        var x = Embeddings.Forward(inputIds, tokenTypeIds);
        if (outputHiddenStates) hidden.Add(x);
        foreach (var layer in Encoder.Layer)
        {
            x = layer.Forward(x, mask, outputAttentions, out var probs);
            if (probs is not null) attentions.Add(probs);
            if (outputHiddenStates) hidden.Add(x);
        }
        return new BertModelOutput(x, Pooler?.Forward(x), hidden, attentions);
    }
}
