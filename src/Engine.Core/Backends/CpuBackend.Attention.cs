using Engine.Kernels.Cpu;

namespace Engine.Backends;

public sealed partial class CpuBackend
{
    public bool SupportsFusedAttention => true;

    private static AttentionMask? MaskOf(Storage? mask, long off, long bs, long hs, long rs)
        => mask is null ? null : new AttentionMask(F(mask), (int)off, bs, hs, rs);

    public void AttentionForward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
                                 Storage q, long qOffset, Storage k, long kOffset, Storage v, long vOffset,
                                 Storage? mask, long maskOffset, long maskBatchStride, long maskHeadStride, long maskRowStride,
                                 Storage output, long outOffset, Storage logSumExp, long lseOffset)
        => FlashAttention.Forward(batchHeads, heads, tq, tk, d, scale, causal, F(q), (int)qOffset, F(k), (int)kOffset, F(v), (int)vOffset,
                                  MaskOf(mask, maskOffset, maskBatchStride, maskHeadStride, maskRowStride), F(output), (int)outOffset, F(logSumExp), (int)lseOffset);

    public bool SupportsStridedAttention => true;

    public void AttentionForwardStrided(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
                                        Storage q, long qOffset, AttentionLayout qLayout, Storage k, long kOffset, AttentionLayout kLayout,
                                        Storage v, long vOffset, AttentionLayout vLayout,
                                        Storage? mask, long maskOffset, long maskBatchStride, long maskHeadStride, long maskRowStride,
                                        Storage output, long outOffset, AttentionLayout outLayout)
        => FlashAttention.Forward(batchHeads, heads, tq, tk, d, scale, causal, F(q), (int)qOffset, qLayout, F(k), (int)kOffset, kLayout,
                                  F(v), (int)vOffset, vLayout, MaskOf(mask, maskOffset, maskBatchStride, maskHeadStride, maskRowStride),
                                  F(output), (int)outOffset, outLayout, null, 0);

    public void AttentionBackward(int batchHeads, int heads, int tq, int tk, int d, float scale, bool causal,
                                  Storage q, long qOffset, Storage k, long kOffset, Storage v, long vOffset,
                                  Storage? mask, long maskOffset, long maskBatchStride, long maskHeadStride, long maskRowStride,
                                  Storage output, long outOffset, Storage logSumExp, long lseOffset, Storage dOut, long dOutOffset,
                                  Storage dQ, long dQOffset, Storage dK, long dKOffset, Storage dV, long dVOffset)
        => FlashAttention.Backward(batchHeads, heads, tq, tk, d, scale, causal, F(q), (int)qOffset, F(k), (int)kOffset, F(v), (int)vOffset,
                                   MaskOf(mask, maskOffset, maskBatchStride, maskHeadStride, maskRowStride), F(output), (int)outOffset,
                                   F(logSumExp), (int)lseOffset, F(dOut), (int)dOutOffset, F(dQ), (int)dQOffset, F(dK), (int)dKOffset, F(dV), (int)dVOffset);
}
