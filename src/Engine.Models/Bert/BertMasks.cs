namespace Engine.Models.Bert;

/// <summary>Masks BERT builds from integer inputs (ids and 0/1 attention masks).</summary>
public static class BertMasks
{
    /// <summary>HF's extended attention mask: (1 - mask) * float32.min as [B, 1, 1, T], added to every head's scores
    /// so that only KEYS are masked (padded query rows are still computed).</summary>
    public static Tensor Additive(Tensor attentionMask, Device device)
    {
        if (attentionMask.Rank != 2) throw new ArgumentException($"attention_mask must be [batch, tokens], got {Shape.Format(attentionMask.Shape)}.");
        var m = attentionMask.ToInt64Array();
        var a = new float[m.Length];
        for (int i = 0; i < m.Length; i++) a[i] = (1f - m[i]) * float.MinValue;
        return Tensor.FromArray(a, attentionMask.Shape[0], 1, 1, attentionMask.Shape[1]).To(device);
    }

    /// <summary>1 where ids != padId (as open_clip's HFTextEncoder derives the mask), I64 [B, T].</summary>
    public static Tensor FromPadding(Tensor inputIds, int padId)
    {
        var ids = inputIds.ToInt64Array();
        var m = new long[ids.Length];
        for (int i = 0; i < ids.Length; i++) m[i] = ids[i] != padId ? 1 : 0;
        return Tensor.FromArray(m, (int[])inputIds.Shape.Clone());
    }

    /// <summary>
    /// Identity in the forward pass; in the backward pass zeroes the gradient of the rows looked up with
    /// <paramref name="padId"/>, which is what torch's <c>nn.Embedding(padding_idx=...)</c> does to the table row.
    /// </summary>
    public static Tensor ZeroPaddingGradient(Tensor embedded, Tensor ids, int padId)
    {
        if (!embedded.RequiresGrad) return embedded;
        var idv = ids.ToInt64Array();
        var keep = new float[idv.Length];
        bool anyPad = false;
        for (int i = 0; i < idv.Length; i++) { keep[i] = idv[i] == padId ? 0f : 1f; anyPad |= idv[i] == padId; }
        if (!anyPad) return embedded;
        var shape = new int[ids.Rank + 1];
        ids.Shape.CopyTo(shape, 0); shape[^1] = 1;
        var keepT = Tensor.FromArray(keep, shape).To(embedded.Device);
        return embedded.Detach().WithGrad("embedding_padding_idx", new[] { embedded }, g => new[] { Ops.Mul(g, keepT) });
    }

    /// <summary>Checks ids are a rank-2 integer tensor.</summary>
    public static void CheckIds(Tensor ids, string name)
    {
        if (ids.DType is not (DType.I64 or DType.I32)) throw new ArgumentException($"{name} must be int64 or int32, got {ids.DType}.");
        if (ids.Rank != 2) throw new ArgumentException($"{name} must be [batch, tokens], got {Shape.Format(ids.Shape)}.");
    }
}
