using Engine.Nn;

namespace Engine.Models.Bert;

/// <summary>HF <c>BertEmbeddings</c>: LayerNorm(word[ids] + position[0..T-1] + token_type[tt]), then dropout.
/// Keys: word_embeddings, position_embeddings, token_type_embeddings, LayerNorm.</summary>
public sealed class BertEmbeddings : Module
{
    private readonly BertConfig _cfg;
    private readonly Random _rng;

    public BertEmbeddings(BertConfig cfg, Random rng)
    {
        _cfg = cfg; _rng = rng;
        WordEmbeddings = Add("word_embeddings", new Embedding(cfg.VocabSize, cfg.HiddenSize, rng));
        PositionEmbeddings = Add("position_embeddings", new Embedding(cfg.MaxPositionEmbeddings, cfg.HiddenSize, rng));
        TokenTypeEmbeddings = Add("token_type_embeddings", new Embedding(cfg.TypeVocabSize, cfg.HiddenSize, rng));
        LayerNorm = Add("LayerNorm", new LayerNorm(cfg.HiddenSize, cfg.LayerNormEps));
    }

    public Embedding WordEmbeddings { get; }
    public Embedding PositionEmbeddings { get; }
    public Embedding TokenTypeEmbeddings { get; }
    public LayerNorm LayerNorm { get; }

    /// <param name="inputIds">[B, T] int64/int32.</param>
    /// <param name="tokenTypeIds">[B, T] or null (all zeros).</param>
    public Tensor Forward(Tensor inputIds, Tensor? tokenTypeIds = null)
    {
        BertMasks.CheckIds(inputIds, "input_ids");
        int b = inputIds.Shape[0], t = inputIds.Shape[1];
        if (t > _cfg.MaxPositionEmbeddings)
            throw new ArgumentException($"Sequence of {t} tokens is longer than max_position_embeddings {_cfg.MaxPositionEmbeddings}.");
        var device = WordEmbeddings.Weight.Value.Device;

        var words = Ops.Embedding(WordEmbeddings.Weight.Value, inputIds.To(device));
        if (_cfg.PadTokenId is int pad) words = BertMasks.ZeroPaddingGradient(words, inputIds, pad);

        var posIds = new long[t];
        for (int i = 0; i < t; i++) posIds[i] = i;
        var positions = Ops.Embedding(PositionEmbeddings.Weight.Value, Tensor.FromArray(posIds, t).To(device)); // [T, D], broadcast over B

        Tensor types;
        if (tokenTypeIds is null)
        {
            // All-zero token types: row 0 broadcast (same values as a lookup, and its gradient lands in row 0 only).
            types = Ops.Embedding(TokenTypeEmbeddings.Weight.Value, Tensor.FromArray(new long[] { 0 }, 1).To(device)); // [1, D]
        }
        else
        {
            BertMasks.CheckIds(tokenTypeIds, "token_type_ids");
            if (tokenTypeIds.Shape[0] != b || tokenTypeIds.Shape[1] != t)
                throw new ArgumentException($"token_type_ids {Shape.Format(tokenTypeIds.Shape)} does not match input_ids {Shape.Format(inputIds.Shape)}.");
            types = Ops.Embedding(TokenTypeEmbeddings.Weight.Value, tokenTypeIds.To(device));
        }

        // HF order: (words + token_type) + position.
        var x = Ops.Add(Ops.Add(words, types), positions);
        x = LayerNorm.Forward(x);
        return Ops.Dropout(x, _cfg.HiddenDropoutProb, Training, _rng);
    }
}
