using System.Runtime.InteropServices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// op(B) packed once into the panel layout the GEMM micro-kernels read, for a B that does not change between calls
/// (an inference model's weights). The GEMM then skips packing B, which costs 10-20 % of a product with ~200 rows
/// (a ViT at 224 px, batch 1) and ~4 % at ~500. Layout: K blocks of depth min(KcPrepacked, k) one after the
/// other; inside block kb (rows pc..pc+kc of op(B)), column panel jp (nr wide) at pc * nPad + jp * nr * kc.
/// Tied to the micro-kernel in use when it was packed (<see cref="Matches"/>). Owns native memory: dispose it.
/// </summary>
public sealed unsafe class PackedMatrixB : IDisposable
{
    private float* _data;

    private PackedMatrixB(int k, int n, int nr, int kcMax)
    {
        K = k; N = n; Nr = nr; KcMax = kcMax;
        NPad = (n + nr - 1) / nr * nr;
        _data = (float*)NativeMemory.AlignedAlloc((nuint)((long)NPad * k + 16) * sizeof(float), 64);
    }

    public int K { get; }
    public int N { get; }
    internal int Nr { get; }
    internal int KcMax { get; }
    internal int NPad { get; }

    /// <summary>Packs op(B) (k x n; B stored n x k row-major when <paramref name="transB"/>, as a PyTorch Linear
    /// weight [out, in] is) for the current micro-kernel.</summary>
    public static PackedMatrixB Create(bool transB, float[] b, int bOff, int ldb, int k, int n)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (k <= 0 || n <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"PackedMatrixB: sizes must be positive (k={k}, n={n}).");
        long last = bOff + (long)((transB ? n : k) - 1) * ldb + (transB ? k : n) - 1;
        if (bOff < 0 || ldb < (transB ? k : n) || last >= b.Length)
            throw new ArgumentException($"PackedMatrixB: a {(transB ? n : k)}x{(transB ? k : n)} matrix (ld {ldb}, offset {bOff}) does not fit an array of {b.Length}.");
        var (nr, kc) = CurrentBlocking(k);
        var packed = new PackedMatrixB(k, n, nr, kc);
        fixed (float* pb = b)
            for (int pc = 0; pc < k; pc += kc)
                GemmPacking.PackB(transB, pb + bOff, ldb, pc, 0, Math.Min(kc, k - pc), n, nr, packed._data + (long)pc * packed.NPad);
        return packed;
    }

    /// <summary>Panel width of the micro-kernel now selected, and the K-block depth a prepacked B is cut into (the drivers
    /// follow it: see <see cref="IGemmPackB.DepthBlock"/>). Deeper than the drivers' own KC: B's panels stream from L2
    /// well enough, and fewer K blocks mean fewer passes over C (see <see cref="GemmTuning.KcPrepacked"/>).</summary>
    private static (int Nr, int KcMax) CurrentBlocking(int k) => Gemm.UseVector512
        ? (Kernel512x8x32.NR, Math.Min(GemmTuning.KcPrepacked, k))
        : (Kernel256x6x16.NR, Math.Min(GemmTuning.KcPrepacked, k));

    /// <summary>True when the GEMM would block this matrix exactly as it was packed (same micro-kernel and depth).</summary>
    internal bool MatchesCurrentKernel => CurrentBlocking(K) == (Nr, KcMax);

    /// <summary>The packed panels of rows p0.. (a K-block start) and columns j0.. (a multiple of nr).</summary>
    internal float* Panels(int p0, int j0, int kc)
    {
        ObjectDisposedException.ThrowIf(_data == null, this);
        return _data + (long)p0 * NPad + (long)j0 * kc;
    }

    public void Dispose()
    {
        if (_data != null) { NativeMemory.AlignedFree(_data); _data = null; }
        GC.SuppressFinalize(this);
    }

    ~PackedMatrixB() { if (_data != null) NativeMemory.AlignedFree(_data); }
}

/// <summary>B from a <see cref="PackedMatrixB"/>: the drivers read its panels in place (<see cref="Prepacked"/>);
/// <see cref="Pack"/> copies them only where a driver needs its own copy.</summary>
internal readonly unsafe struct PrepackedB(PackedMatrixB packed) : IGemmPackB
{
    public void Pack(int p0, int j0, int kc, int nc, int nr, float* dst)
    {
        int panels = (nc + nr - 1) / nr;
        Buffer.MemoryCopy(packed.Panels(p0, j0, kc), dst, (long)panels * nr * kc * sizeof(float), (long)panels * nr * kc * sizeof(float));
    }

    public float* Prepacked(int p0, int j0, int kc) => packed.Panels(p0, j0, kc);

    public double CostPerElement => 0;

    public int DepthBlock => packed.KcMax;
}
