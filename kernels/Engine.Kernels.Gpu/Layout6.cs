namespace Engine.Kernels.Gpu;

/// <summary>
/// Up to 6 dimensions of iteration with the strides of two operands (A and B; for a copy, source and destination).
/// The host builds it from any rank: size-1 axes are dropped and adjacent axes that are contiguous in both operands
/// are merged, so most higher-rank views still fit. Dimensions are right-aligned (D5 innermost, unused leading ones 1).
/// Device code splits the linear index with 32-bit divisions over the <see cref="Rank"/> used axes only: 64-bit
/// division is a long software routine on NVIDIA GPUs, and five of them per operand held copies and broadcasts at
/// ~100 GB/s on an H200 (launches check that the element count fits an int).
/// </summary>
public struct Layout6
{
    public int D0, D1, D2, D3, D4, D5;
    /// <summary>Axes in use after merging (1..6; the innermost ones).</summary>
    public int Rank;
    public long A0, A1, A2, A3, A4, A5, OffA;
    public long B0, B1, B2, B3, B4, B5, OffB;
    public long Count;

    public const int MaxRank = 6;

    public static Layout6 Create(ReadOnlySpan<int> shape, ReadOnlySpan<long> stridesA, long offA, ReadOnlySpan<long> stridesB, long offB)
    {
        if (stridesA.Length != shape.Length || stridesB.Length != shape.Length)
            throw new ArgumentException($"Rank mismatch: shape has {shape.Length} axes, strides {stridesA.Length} and {stridesB.Length}.");
        var dims = new List<(int n, long a, long b)>();
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0) throw new ArgumentException($"Negative size in shape [{string.Join(", ", shape.ToArray())}].");
            count *= shape[i];
            if (shape[i] == 1) continue;
            if (stridesA[i] < 0 || stridesB[i] < 0) throw new ArgumentException("Negative strides are not supported by the GPU kernels.");
            if (dims.Count > 0)
            {
                var last = dims[^1];
                if (last.a == stridesA[i] * shape[i] && last.b == stridesB[i] * shape[i])
                {
                    dims[^1] = (last.n * shape[i], stridesA[i], stridesB[i]);
                    continue;
                }
            }
            dims.Add((shape[i], stridesA[i], stridesB[i]));
        }
        if (dims.Count > MaxRank) throw new NotSupportedException($"Strided layout of shape [{string.Join(", ", shape.ToArray())}] needs {dims.Count} axes after merging; the GPU kernels support {MaxRank}.");
        int leading = MaxRank - dims.Count;
        while (dims.Count < MaxRank) dims.Insert(0, (1, 0, 0));
        return new Layout6
        {
            D0 = dims[0].n, D1 = dims[1].n, D2 = dims[2].n, D3 = dims[3].n, D4 = dims[4].n, D5 = dims[5].n,
            A0 = dims[0].a, A1 = dims[1].a, A2 = dims[2].a, A3 = dims[3].a, A4 = dims[4].a, A5 = dims[5].a,
            B0 = dims[0].b, B1 = dims[1].b, B2 = dims[2].b, B3 = dims[3].b, B4 = dims[4].b, B5 = dims[5].b,
            OffA = offA, OffB = offB, Count = count, Rank = Math.Max(1, MaxRank - leading),
        };
    }

    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>Largest index (+1) operand A touches.</summary>
    public readonly long ExtentA => Count == 0 ? 0 : OffA + (D0 - 1) * A0 + (D1 - 1) * A1 + (D2 - 1) * A2 + (D3 - 1) * A3 + (D4 - 1) * A4 + (D5 - 1) * A5 + 1;
    public readonly long ExtentB => Count == 0 ? 0 : OffB + (D0 - 1) * B0 + (D1 - 1) * B1 + (D2 - 1) * B2 + (D3 - 1) * B3 + (D4 - 1) * B4 + (D5 - 1) * B5 + 1;

    /// <summary>Element offset of operand A for linear iteration index i (device code; i &lt; 2^31).</summary>
    public static long OffsetA(Layout6 l, long i) => Offset(l, (int)i, l.OffA, l.A0, l.A1, l.A2, l.A3, l.A4, l.A5);

    public static long OffsetB(Layout6 l, long i) => Offset(l, (int)i, l.OffB, l.B0, l.B1, l.B2, l.B3, l.B4, l.B5);

    private static long Offset(Layout6 l, int r, long o, long s0, long s1, long s2, long s3, long s4, long s5)
    {
        if (l.Rank <= 1) return o + r * s5;
        int q = r / l.D5; o += (r - q * l.D5) * s5; r = q;
        if (l.Rank == 2) return o + r * s4;
        q = r / l.D4; o += (r - q * l.D4) * s4; r = q;
        if (l.Rank == 3) return o + r * s3;
        q = r / l.D3; o += (r - q * l.D3) * s3; r = q;
        if (l.Rank == 4) return o + r * s2;
        q = r / l.D2; o += (r - q * l.D2) * s2; r = q;
        if (l.Rank == 5) return o + r * s1;
        q = r / l.D1; o += (r - q * l.D1) * s1; r = q;
        return o + r * s0;
    }
}
