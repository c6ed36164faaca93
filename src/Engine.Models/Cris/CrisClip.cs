using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// CRIS's CLIP (<c>model.clip.CLIP</c>, keys <c>backbone.*</c>, OpenAI layout): <c>visual</c> ModifiedResNet,
/// text <c>transformer</c>, <c>token_embedding</c>, <c>positional_embedding</c>, <c>ln_final</c>,
/// <c>text_projection</c>, and <c>logit_scale</c> (kept for key compatibility; CRIS never uses it).
/// </summary>
public sealed class CrisClip : Module
{
    public CrisClip(CrisClipArchitecture arch, Random? rng = null)
    {
        Arch = arch;
        rng ??= new Random(0);
        PositionalEmbedding = AddParameter("positional_embedding", Scaled(Tensor.Randn(rng, arch.ContextLength, arch.TextWidth), 0.01f));
        TextProjection = AddParameter("text_projection", Scaled(Tensor.Randn(rng, arch.TextWidth, arch.EmbedDim), MathF.Pow(arch.TextWidth, -0.5f)));
        LogitScale = AddParameter("logit_scale", Tensor.FromArray(new[] { MathF.Log(1f / 0.07f) }, Array.Empty<int>()));
        Visual = Add("visual", new CrisModifiedResNet(arch, rng));
        Transformer = Add("transformer", new CrisTextTransformer(arch.TextWidth, arch.TextLayers, arch.TextHeads, rng));
        TokenEmbedding = Add("token_embedding", new Embedding(arch.VocabSize, arch.TextWidth, rng));
        LnFinal = Add("ln_final", new LayerNorm(arch.TextWidth));
    }

    public CrisClipArchitecture Arch { get; }
    public Parameter PositionalEmbedding { get; }
    public Parameter TextProjection { get; }
    public Parameter LogitScale { get; }
    public CrisModifiedResNet Visual { get; }
    public CrisTextTransformer Transformer { get; }
    public Embedding TokenEmbedding { get; }
    public LayerNorm LnFinal { get; }

    /// <summary>encode_image: (v3, v4, v5) = (layer2, layer3, attention pool).</summary>
    public (Tensor V3, Tensor V4, Tensor V5) EncodeImage(Tensor pixels, IntermediateSink? sink = null) => Visual.Forward(pixels, sink);

    /// <summary>
    /// encode_text: word features = ln_final(x) at every position [B, T, W] (no projection; padding positions computed
    /// normally, causality keeps them out of earlier tokens); sentence feature ("state") = the row at argmax(ids)
    /// (the &lt;eot&gt; token, CLIP's largest id; the first maximum) @ text_projection [B, D].
    /// </summary>
    /// <param name="ids">I64/I32 [B, T], T ≤ context length (CRIS uses T = word_len).</param>
    public (Tensor Words, Tensor State) EncodeText(Tensor ids)
    {
        Clip.TokenIds.Check(ids, Arch.VocabSize, "word_ids");
        int b = ids.Shape[0], t = ids.Shape[1];
        if (t > Arch.ContextLength)
            throw new ArgumentException($"word_ids has {t} positions but the CLIP text tower has a context of {Arch.ContextLength}.");
        var device = TokenEmbedding.Weight.Value.Device;
        // Ids stay on the CPU on every device: lookups read them on the host (integer tensors do not move to GPUs).
        var x = Ops.Add(TokenEmbedding.Forward(ids.To(Device.Cpu)), PositionalEmbedding.Value.Narrow(0, 0, t));
        x = Transformer.Forward(x, Ops.CausalMask(t, t, device));
        var words = LnFinal.Forward(x);
        var v = ids.ToInt64Array();
        var rows = new long[b];
        for (int r = 0; r < b; r++)
        {
            int best = 0;
            for (int j = 1; j < t; j++) if (v[r * t + j] > v[r * t + best]) best = j;
            rows[r] = (long)r * t + best;
        }
        var eot = Ops.IndexSelect(words.Reshape(b * t, Arch.TextWidth), 0, Tensor.FromArray(rows, b));
        var state = Ops.MatMul(eot, TextProjection.Value);
        return (words, state);
    }

    private static Tensor Scaled(Tensor t, float s)
    {
        var span = t.AsSpan();
        for (int i = 0; i < span.Length; i++) span[i] *= s;
        return t;
    }
}
