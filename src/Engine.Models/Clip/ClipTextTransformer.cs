using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>Outputs of <see cref="ClipTextTransformer"/>.</summary>
/// <param name="Embeddings">token + position embeddings [B, T, C].</param>
/// <param name="HiddenStates">index 0 = embeddings, index i = output of encoder layer i-1 (before the final LN).</param>
/// <param name="LastHiddenState">final_layer_norm on every position [B, T, C] (CRIS's word features).</param>
/// <param name="PooledOutput">LastHiddenState at the pooled (end-of-text) position [B, C] (CRIS's sentence feature before projection).</param>
/// <param name="PooledPositions">the pooled position per row.</param>
public sealed record ClipTextOutput(Tensor Embeddings, IReadOnlyList<Tensor> HiddenStates, Tensor LastHiddenState, Tensor PooledOutput, long[] PooledPositions);

/// <summary>
/// CLIPTextTransformer (keys embeddings.*, encoder.layers.N.*, final_layer_norm.*): causal + padding additive masks,
/// pre-LN layers, final LN on every position, pooling by the eos_token_id rule (<see cref="TextPooling"/>).
/// </summary>
public sealed class ClipTextTransformer : Module
{
    public ClipTextTransformer(ClipTextConfig config, Random? rng = null)
    {
        Config = config;
        Embeddings = Add("embeddings", new ClipTextEmbeddings(config.VocabSize, config.HiddenSize, config.MaxPositionEmbeddings, rng));
        Encoder = Add("encoder", new ClipEncoder(config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize, config.HiddenAct, config.LayerNormEps, rng));
        FinalLayerNorm = Add("final_layer_norm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
    }

    public ClipTextConfig Config { get; }
    public ClipTextEmbeddings Embeddings { get; }
    public ClipEncoder Encoder { get; }
    public LayerNorm FinalLayerNorm { get; }

    /// <param name="inputIds">I64/I32 [B, T], ids in [0, vocab_size).</param>
    /// <param name="attentionMask">1 = token, 0 = padding, [B, T]; null = causal mask only.</param>
    /// <param name="sink">records embeddings, hidden_states.i, attentions.i, last_hidden_state, pooler_output.</param>
    public ClipTextOutput Forward(Tensor inputIds, Tensor? attentionMask = null, IntermediateSink? sink = null)
    {
        TokenIds.Check(inputIds, Config.VocabSize);
        int b = inputIds.Shape[0], t = inputIds.Shape[1];
        var device = Embeddings.TokenEmbedding.Weight.Value.Device;
        var emb = Embeddings.Forward(inputIds.To(device));
        sink?.Add("embeddings", emb);
        var mask = TextAttentionMasks.CausalWithPadding(b, t, attentionMask, device);
        var states = Encoder.Forward(emb, mask, sink);
        var last = FinalLayerNorm.Forward(states[^1]);
        var positions = TextPooling.PooledPositions(inputIds, Config.EosTokenId);
        var pooled = TextPooling.Gather(last, positions);
        sink?.Add("last_hidden_state", last);
        sink?.Add("pooler_output", pooled);
        return new ClipTextOutput(emb, states, last, pooled, positions);
    }
}
