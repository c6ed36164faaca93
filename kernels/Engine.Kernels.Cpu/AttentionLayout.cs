namespace Engine.Kernels.Cpu;

/// <summary>Where the rows of one attention operand live: row t of head h in batch b starts at
/// b*BatchStride + h*HeadStride + t*RowStride (from the operand's offset), with its D values contiguous. Lets the
/// forward kernel read q/k/v straight out of a fused [B, T, 3, H, D] projection and write its output as [B, T, H, D],
/// with no transposing copies around it.</summary>
public readonly record struct AttentionLayout(long BatchStride, long HeadStride, int RowStride)
{
    /// <summary>The packed [B, H, T, D] layout.</summary>
    public static AttentionLayout Contiguous(int heads, int t, int d) => new((long)heads * t * d, (long)t * d, d);

    internal long HeadStart(int bh, int heads) => (long)(bh / heads) * BatchStride + (long)(bh % heads) * HeadStride;

    /// <summary>One past the largest element index used by batchHeads heads of t rows of d values.</summary>
    internal long Extent(int batchHeads, int heads, int t, int d)
        => batchHeads == 0 || t == 0 || d == 0 ? 0 : HeadStart(batchHeads - 1, heads) + (long)(t - 1) * RowStride + d;

    internal void Validate(string name, int d)
    {
        if (BatchStride < 0 || HeadStride < 0 || RowStride < d)
            throw new ArgumentException($"Attention: {name} layout (batch stride {BatchStride}, head stride {HeadStride}, row stride {RowStride}) must have non-negative strides and rows of at least D = {d}.");
    }
}

/// <summary>Pinned q, k, v and output of one forward call with their layouts.</summary>
internal readonly record struct AttentionOperands(nint Q, AttentionLayout QLayout, nint K, AttentionLayout KLayout,
    nint V, AttentionLayout VLayout, nint Output, AttentionLayout OutLayout);
