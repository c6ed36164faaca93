namespace Engine.Kernels.Cpu;

/// <summary>Additive attention mask (0 = keep, -inf = drop, any finite bias allowed) for <see cref="FlashAttention"/>.
/// Element (b, h, i, j) for batch b, head h, query i, key j is Values[Offset + b*BatchStride + h*HeadStride +
/// i*RowStride + j]: keys are contiguous, broadcast dimensions use stride 0 (a [B,1,1,Tk] padding mask has
/// HeadStride = RowStride = 0; a [B,1,Tq,Tk] mask has HeadStride = 0, RowStride = Tk).</summary>
public readonly record struct AttentionMask(float[] Values, int Offset, long BatchStride, long HeadStride, long RowStride)
{
    internal long RowStart(int bh, int heads, int query) =>
        Offset + (long)(bh / heads) * BatchStride + (long)(bh % heads) * HeadStride + (long)query * RowStride;

    internal void Validate(int batchHeads, int heads, int tq, int tk)
    {
        if (Values is null) throw new ArgumentNullException(nameof(Values), "Attention mask values are null.");
        if (Offset < 0 || BatchStride < 0 || HeadStride < 0 || RowStride < 0)
            throw new ArgumentException("Attention mask offset and strides must be >= 0.");
        if (batchHeads == 0 || tq == 0 || tk == 0) return;
        // Strides are non-negative, so the largest index is at the last batch, head, query and key.
        long last = RowStart(batchHeads - 1, heads, tq - 1) + tk - 1;
        if (last >= Values.Length)
            throw new ArgumentException($"Attention mask needs {last + 1} elements for {batchHeads / heads}x{heads} heads, {tq} queries, {tk} keys but has {Values.Length}.");
    }
}
