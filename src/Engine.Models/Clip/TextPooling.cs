namespace Engine.Models.Clip;

/// <summary>
/// transformers 4.40.2 CLIP text pooling: with config eos_token_id == 2 (the legacy configs of openai/clip-vit-* and
/// CIDAS/clipseg-*) the pooled position is argmax(input_ids) per row (first maximum; right because &lt;|endoftext|&gt; is
/// the largest id); otherwise the first position whose id equals eos_token_id (0 when there is none).
/// </summary>
public static class TextPooling
{
    public const int LegacyEosTokenId = 2;

    public static long[] PooledPositions(Tensor inputIds, int eosTokenId)
    {
        int b = inputIds.Shape[0], t = inputIds.Shape[1];
        var ids = inputIds.ToInt64Array();
        var pos = new long[b];
        for (int r = 0; r < b; r++)
        {
            int best = 0;
            if (eosTokenId == LegacyEosTokenId)
            {
                // transformers casts to int32 before argmax; ids are validated to be < vocab, so no overflow.
                for (int j = 1; j < t; j++) if (ids[r * t + j] > ids[r * t + best]) best = j;
            }
            else
            {
                for (int j = 0; j < t; j++) if (ids[r * t + j] == eosTokenId) { best = j; break; }
            }
            pos[r] = best;
        }
        return pos;
    }

    /// <summary>Rows hidden[b, positions[b]] of [B, T, C] -> [B, C] (differentiable).</summary>
    public static Tensor Gather(Tensor hidden, long[] positions)
    {
        int b = hidden.Shape[0], t = hidden.Shape[1], c = hidden.Shape[2];
        var flat = new long[b];
        for (int r = 0; r < b; r++) flat[r] = r * (long)t + positions[r];
        return Ops.IndexSelect(hidden.Reshape(b * t, c), 0, Tensor.FromArray(flat, b).To(hidden.Device));
    }
}
