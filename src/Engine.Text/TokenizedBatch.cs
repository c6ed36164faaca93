namespace Engine.Text;

/// <summary>
/// A batch of token sequences padded to one length: row-major [BatchSize, SequenceLength] arrays of ids, attention
/// mask (1 = real token, 0 = padding) and, for BERT pairs, token type ids.
/// </summary>
public sealed class TokenizedBatch
{
    public TokenizedBatch(long[] ids, long[] attentionMask, long[]? tokenTypeIds, int batchSize, int sequenceLength,
        bool[] truncated)
    {
        if (ids.Length != batchSize * sequenceLength || attentionMask.Length != ids.Length
            || (tokenTypeIds != null && tokenTypeIds.Length != ids.Length) || truncated.Length != batchSize)
            throw new ArgumentException("TokenizedBatch arrays do not match [batchSize, sequenceLength].");
        Ids = ids;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        Truncated = truncated;
    }

    /// <summary>Token ids, row-major [BatchSize, SequenceLength].</summary>
    public long[] Ids { get; }

    /// <summary>1 for real tokens (including bos/eos/[CLS]/[SEP]), 0 for padding.</summary>
    public long[] AttentionMask { get; }

    /// <summary>Segment ids (0 first text, 1 second text) for BERT pairs; all zero for single texts; null for CLIP.</summary>
    public long[]? TokenTypeIds { get; }

    public int BatchSize { get; }
    public int SequenceLength { get; }

    /// <summary>Whether each row was cut to fit the maximum length.</summary>
    public bool[] Truncated { get; }

    /// <summary>Number of real (unpadded) tokens in row <paramref name="row"/>.</summary>
    public int Length(int row)
    {
        int n = 0;
        for (int t = 0; t < SequenceLength; t++) n += (int)AttentionMask[row * SequenceLength + t];
        return n;
    }

    /// <summary>The unpadded ids of one row.</summary>
    public long[] RowIds(int row) => Ids.AsSpan(row * SequenceLength, Length(row)).ToArray();

    /// <summary>Ids as an int64 tensor [BatchSize, SequenceLength].</summary>
    public Tensor IdsTensor() => Tensor.FromArray((long[])Ids.Clone(), BatchSize, SequenceLength);

    /// <summary>Attention mask as an int64 tensor [BatchSize, SequenceLength].</summary>
    public Tensor AttentionMaskTensor() => Tensor.FromArray((long[])AttentionMask.Clone(), BatchSize, SequenceLength);

    /// <summary>Token type ids as an int64 tensor [BatchSize, SequenceLength] (zeros when the tokenizer has none).</summary>
    public Tensor TokenTypeIdsTensor() =>
        Tensor.FromArray(TokenTypeIds != null ? (long[])TokenTypeIds.Clone() : new long[Ids.Length], BatchSize, SequenceLength);

    /// <summary>
    /// CRIS's padding mask as an int64 tensor [BatchSize, SequenceLength]: 1 where the position is padding (the
    /// inverse of <see cref="AttentionMask"/>).
    /// </summary>
    public Tensor PaddingMaskTensor()
    {
        var pad = new long[AttentionMask.Length];
        for (int i = 0; i < pad.Length; i++) pad[i] = 1 - AttentionMask[i];
        return Tensor.FromArray(pad, BatchSize, SequenceLength);
    }
}
