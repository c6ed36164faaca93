namespace Engine.Models.Clip;

/// <summary>Validation of token id tensors before an embedding lookup: ids outside the vocabulary are an error, never clamped.</summary>
public static class TokenIds
{
    public static void Check(Tensor ids, int vocabSize, string name = "input_ids")
    {
        if (ids.DType is not (DType.I64 or DType.I32))
            throw new ArgumentException($"{name} must be int64 or int32 token ids (found {ids.DType}).");
        if (ids.Rank != 2) throw new ArgumentException($"{name} must be [batch, seq] (found {Shape.Format(ids.Shape)}).");
        if (ids.Shape[1] == 0) throw new ArgumentException($"{name} has no tokens.");
        var v = ids.ToInt64Array();
        int t = ids.Shape[1];
        for (int i = 0; i < v.Length; i++)
            if (v[i] < 0 || v[i] >= vocabSize)
                throw new ArgumentOutOfRangeException(name, $"Token id {v[i]} at [{i / t}, {i % t}] of {name} is outside the model's vocabulary of {vocabSize} ids.");
    }
}
