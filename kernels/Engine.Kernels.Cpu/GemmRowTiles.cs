namespace Engine.Kernels.Cpu;

/// <summary>How a block of m rows is cut into micro-tiles: MR rows each, except that a short remainder (at most MR / 2
/// rows) is evened out with the tiles before it (up to <c>maxTail</c> tiles in all), because a tile of one or two rows
/// runs at the FMA latency, not its throughput (2-4 independent accumulators for 4-cycle FMAs): 13 rows as 6 + 6 + 1
/// cost 6 + 6 + 4 cycles per k step, as 5 + 4 + 4 only 5 + 4 + 4. Every element is still summed in the same order, so
/// results do not depend on the cut. Panel t of the packed A holds tile t's rows (padded to MR), so packing and the
/// tile loop must use the same cut (one instance per product or row block).</summary>
internal readonly struct GemmRowTiles
{
    private readonly int _m, _mr, _balancedFrom, _base, _q, _extra;

    /// <summary>The standard number of tiles evened out at most, when <see cref="GemmTuning.BalancedRowTail"/> is on.</summary>
    public static int DefaultTail => GemmTuning.BalancedRowTail ? 3 : 0;

    /// <param name="maxTail">Tiles the remainder may be evened out with, itself included (0 or 1: none).</param>
    public GemmRowTiles(int m, int mr, int maxTail)
    {
        _m = m; _mr = mr;
        Count = (m + mr - 1) / mr;
        int remainder = m - (Count - 1) * mr;
        int tail = Count >= 2 && remainder * 2 <= mr ? Math.Min(maxTail, Count) : 0;
        if (tail < 2) tail = 0; // nothing to even out with
        _balancedFrom = Count - tail;
        _base = _balancedFrom * mr;
        int rest = m - _base;
        _q = tail > 0 ? rest / tail : 0;
        _extra = tail > 0 ? rest % tail : 0;
    }

    /// <summary>Number of tiles (= packed A panels): ceil(m / MR), as without balancing.</summary>
    public int Count { get; }

    /// <summary>First row of tile <paramref name="t"/> within the block; <see cref="Count"/> gives m (the end).</summary>
    public int Start(int t) => Math.Min(_m, t < _balancedFrom ? t * _mr : _base + (t - _balancedFrom) * _q + Math.Min(t - _balancedFrom, _extra));

    /// <summary>Rows of tile <paramref name="t"/> (1..MR).</summary>
    public int Rows(int t) => Start(t + 1) - Start(t);

    /// <summary>Packs the panels of tiles [t0, t1) of op(A) rows i0 + ..., depth [p0, p0 + kc), panel t at
    /// dst + (t - t0) * panelStride.</summary>
    public unsafe void PackA(bool transA, float* a, int lda, int i0, int p0, int kc, int t0, int t1, float* dst, long panelStride)
    {
        // Full-height tiles in one call, then the balanced tail one panel at a time.
        int fullEnd = Math.Min(t1, _balancedFrom);
        if (fullEnd > t0)
            GemmPacking.PackA(transA, a, lda, i0 + Start(t0), p0, Start(fullEnd) - Start(t0), kc, _mr, dst, panelStride);
        for (int t = Math.Max(t0, _balancedFrom); t < t1; t++)
            GemmPacking.PackA(transA, a, lda, i0 + Start(t), p0, Rows(t), kc, _mr, dst + (t - t0) * panelStride, panelStride);
    }
}
