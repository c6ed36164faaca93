using Engine.Nn;

namespace Engine.Models.Bert;

/// <summary>HF <c>BertSelfAttention</c> (keys query, key, value): softmax((q k^T) / sqrt(d) + mask) v per head.</summary>
public sealed class BertSelfAttention : Module
{
    private readonly BertConfig _cfg;
    private readonly Random _rng;

    public BertSelfAttention(BertConfig cfg, Random rng)
    {
        _cfg = cfg; _rng = rng;
        Query = Add("query", new Linear(cfg.HiddenSize, cfg.HiddenSize, rng: rng));
        Key = Add("key", new Linear(cfg.HiddenSize, cfg.HiddenSize, rng: rng));
        Value = Add("value", new Linear(cfg.HiddenSize, cfg.HiddenSize, rng: rng));
    }

    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }

    /// <param name="x">[B, T, D].</param>
    /// <param name="additiveMask">[B, 1, 1, T] or null.</param>
    /// <param name="probabilities">receives the attention probabilities [B, H, T, T] when requested.</param>
    public Tensor Forward(Tensor x, Tensor? additiveMask, bool wantProbabilities, out Tensor? probabilities)
    {
        int b = x.Shape[0], t = x.Shape[1], h = _cfg.NumAttentionHeads, d = _cfg.HeadDim;
        Tensor Heads(Tensor y) => y.Reshape(b, t, h, d).Permute(0, 2, 1, 3); // [B, H, T, d]
        var q = Heads(Query.Forward(x));
        var k = Heads(Key.Forward(x));
        var v = Heads(Value.Forward(x));
        float scale = 1f / MathF.Sqrt(d);
        bool dropout = Training && _cfg.AttentionProbsDropoutProb > 0;

        Tensor ctx;
        if (wantProbabilities || dropout)
        {
            // Explicit path (probabilities are an output, or dropout acts on them). HF divides AFTER the product.
            var scores = Ops.Mul(Ops.MatMul(q, k, transB: true), scale);
            if (additiveMask is not null) scores = Ops.Add(scores, additiveMask);
            var probs = Ops.Softmax(scores, -1);
            probabilities = wantProbabilities ? probs : null;
            ctx = Ops.MatMul(Ops.Dropout(probs, _cfg.AttentionProbsDropoutProb, Training, _rng), v);
        }
        else
        {
            probabilities = null;
            ctx = Ops.ScaledDotProductAttention(q, k, v, additiveMask, causal: false, scale: scale);
        }
        return ctx.Permute(0, 2, 1, 3).Reshape(b, t, h * d);
    }
}
