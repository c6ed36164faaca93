using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>CLIPTextEmbeddings: token_embedding(ids) + position_embedding(0..T-1). The non-persistent position_ids
/// buffer of transformers is not a model key (old checkpoints that carry it are accepted, see StrictLoading).</summary>
public sealed class ClipTextEmbeddings : Module
{
    public ClipTextEmbeddings(int vocab, int hidden, int maxPositions, Random? rng = null)
    {
        TokenEmbedding = Add("token_embedding", new Embedding(vocab, hidden, rng));
        PositionEmbedding = Add("position_embedding", new Embedding(maxPositions, hidden, rng));
    }

    public Embedding TokenEmbedding { get; }
    public Embedding PositionEmbedding { get; }
    public int VocabSize => TokenEmbedding.Weight.Shape[0];
    public int MaxPositions => PositionEmbedding.Weight.Shape[0];

    /// <param name="inputIds">I64/I32 [B, T], every id in [0, vocab).</param>
    public Tensor Forward(Tensor inputIds)
    {
        int t = inputIds.Shape[1];
        if (t > MaxPositions) throw new ArgumentException($"Sequence length {t} exceeds max_position_embeddings {MaxPositions}.");
        var tok = TokenEmbedding.Forward(inputIds);
        var pos = PositionEmbedding.Weight.Value.Slice(0, 0, t); // [T, C], broadcast over the batch
        return Ops.Add(tok, pos);
    }
}
