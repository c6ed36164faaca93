using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>Outputs of <see cref="ClipVisionTransformer"/>.</summary>
/// <param name="Embeddings">patch + class + position embeddings, before pre_layrnorm [B, T, C].</param>
/// <param name="HiddenStates">index 0 = pre_layrnorm(embeddings), index i = output of encoder layer i-1.</param>
/// <param name="LastHiddenState">output of the last layer run (no post LN).</param>
/// <param name="PooledOutput">post_layernorm(LastHiddenState[:, 0]) [B, C]; null when the run stopped before the last layer.</param>
public sealed record ClipVisionOutput(Tensor Embeddings, IReadOnlyList<Tensor> HiddenStates, Tensor LastHiddenState, Tensor? PooledOutput);

/// <summary>
/// CLIPVisionTransformer (keys embeddings.*, pre_layrnorm.* (sic), encoder.layers.N.*, post_layernorm.*).
/// </summary>
public sealed class ClipVisionTransformer : Module
{
    public ClipVisionTransformer(ClipVisionConfig config, bool interpolatePositions, Random? rng = null)
    {
        Config = config;
        Embeddings = Add("embeddings", new ClipVisionEmbeddings(config, interpolatePositions, rng));
        PreLayrnorm = Add("pre_layrnorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        Encoder = Add("encoder", new ClipEncoder(config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize, config.HiddenAct, config.LayerNormEps, rng));
        PostLayernorm = Add("post_layernorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
    }

    public ClipVisionConfig Config { get; }
    public ClipVisionEmbeddings Embeddings { get; }
    public LayerNorm PreLayrnorm { get; }
    public ClipEncoder Encoder { get; }
    public LayerNorm PostLayernorm { get; }

    /// <param name="pixelValues">[B, C, H, W], already normalised.</param>
    /// <param name="sink">records embeddings, hidden_states.i, attentions.i, last_hidden_state, pooler_output (and interpolated_position_embedding).</param>
    /// <param name="layerCount">run only the first N encoder layers (later ones cannot influence a consumer that reads
    /// only hidden_states[..N]); the pooled output is then not computed.</param>
    public ClipVisionOutput Forward(Tensor pixelValues, IntermediateSink? sink = null, int? layerCount = null)
    {
        var device = PreLayrnorm.Weight.Value.Device;
        var emb = Embeddings.Forward(pixelValues.To(device), sink);
        sink?.Add("embeddings", emb);
        var h0 = PreLayrnorm.Forward(emb);
        var states = Encoder.Forward(h0, null, sink, layerCount);
        var last = states[^1];
        Tensor? pooled = null;
        if ((layerCount ?? Encoder.Layers.Count) == Encoder.Layers.Count)
        {
            pooled = PostLayernorm.Forward(last.Select(1, 0));
            sink?.Add("last_hidden_state", last);
            sink?.Add("pooler_output", pooled);
        }
        return new ClipVisionOutput(emb, states, last, pooled);
    }
}
