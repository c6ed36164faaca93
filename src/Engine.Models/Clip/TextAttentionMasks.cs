namespace Engine.Models.Clip;

/// <summary>
/// The text tower's additive masks as transformers builds them: causal (float32 min above the diagonal) plus padding
/// (float32 min on key positions whose attention_mask is 0), summed in float32 so min + min overflows to -inf exactly
/// like PyTorch. Harmless: with right padding no query row is fully masked (a real row sees itself, a padded row the
/// real tokens before it), so softmax stays finite.
/// </summary>
public static class TextAttentionMasks
{
    /// <summary>[B, 1, T, T] float mask: causal + padding (attentionMask I64/I32 [B, T] of 1/0, or null = no padding).</summary>
    public static Tensor CausalWithPadding(int batch, int seq, Tensor? attentionMask, Device device)
    {
        long[]? pad = null;
        if (attentionMask != null)
        {
            if (attentionMask.Rank != 2 || attentionMask.Shape[0] != batch || attentionMask.Shape[1] != seq)
                throw new ArgumentException($"attention_mask has shape {Shape.Format(attentionMask.Shape)}; expected [{batch}, {seq}] like input_ids.");
            pad = attentionMask.ToInt64Array();
        }
        var m = new float[batch * seq * seq];
        float min = float.MinValue;
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < seq; i++)
                for (int j = 0; j < seq; j++)
                {
                    float v = j > i ? min : 0f;
                    if (pad != null && pad[b * seq + j] == 0) v += min; // may become -inf, as in PyTorch
                    m[(b * seq + i) * seq + j] = v;
                }
        return Tensor.FromArray(m, batch, 1, seq, seq).To(device);
    }
}
