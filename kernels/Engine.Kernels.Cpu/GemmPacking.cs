using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>Copies blocks of op(A) and op(B) into the micro-kernel layouts, zero-padding ragged edges so the kernel
/// always runs on full MR x NR tiles. The strided (gathering) cases go through 8 x 8 register transposes; packing
/// is otherwise a measurable share of GEMM time for the model shapes (K and N of a few hundred).
/// Destination buffers need 8 floats of slack past the packed size (a 6-wide panel step is written as 8 floats).</summary>
internal static unsafe class GemmPacking
{
    /// <summary>Measured relative cost of packing one element, in micro-kernel multiply-adds: a contiguous copy, and
    /// a strided gather (register transposes, im2col).</summary>
    public const double CopyCost = 8, TransposingCost = 32;

    /// <summary>Packs op(A)[i0..i0+mc, p0..p0+kc] as ceil(mc/mr) panels, each kc steps of mr floats.</summary>
    public static void PackA(bool transA, float* a, int lda, int i0, int p0, int mc, int kc, int mr, float* dst)
        => PackA(transA, a, lda, i0, p0, mc, kc, mr, dst, (long)mr * kc);

    /// <summary>Same, with panel i at dst + i * panelStride (a stride of mr*kc + 8 keeps each panel's 8-float store
    /// slack out of the next panel, so several threads can pack neighbouring panels at once).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transA, float* a, int lda, int i0, int p0, int mc, int kc, int mr, float* dst, long panelStride)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = dst + ir / mr * panelStride;
            if (transA)
            {
                // A stored k x m: the mr values of one k step are contiguous.
                float* src = a + (long)p0 * lda + i0 + ir;
                if (rows == mr && mr <= 8 && ir + 8 <= mc)
                {
                    // Overlapping 8-wide stores in increasing order: each one's slack is overwritten by the next.
                    for (int p = 0; p < kc; p++, src += lda)
                        Vector256.Store(Vector256.Load(src), panel + p * mr);
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += lda)
                    {
                        float* d = panel + p * mr;
                        int i = 0;
                        for (; i < rows; i++) d[i] = src[i];
                        for (; i < mr; i++) d[i] = 0;
                    }
                }
            }
            else
            {
                float* src = a + (long)(i0 + ir) * lda + p0;
                int p = 0;
                if (Avx.IsSupported && mr <= 8)
                {
                    // 8 k steps at a time: load up to 8 rows of 8, transpose, store one step per vector.
                    for (; p + 8 <= kc; p += 8)
                    {
                        var r0 = LoadRow(src, lda, 0, rows, p); var r1 = LoadRow(src, lda, 1, rows, p);
                        var r2 = LoadRow(src, lda, 2, rows, p); var r3 = LoadRow(src, lda, 3, rows, p);
                        var r4 = LoadRow(src, lda, 4, rows, p); var r5 = LoadRow(src, lda, 5, rows, p);
                        var r6 = LoadRow(src, lda, 6, rows, p); var r7 = LoadRow(src, lda, 7, rows, p);
                        Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                        float* d = panel + p * mr;
                        r0.Store(d); r1.Store(d + mr); r2.Store(d + 2 * mr); r3.Store(d + 3 * mr);
                        r4.Store(d + 4 * mr); r5.Store(d + 5 * mr); r6.Store(d + 6 * mr); r7.Store(d + 7 * mr);
                    }
                }
                for (; p < kc; p++)
                {
                    float* d = panel + p * mr;
                    int i = 0;
                    for (; i < rows; i++) d[i] = src[(long)i * lda + p];
                    for (; i < mr; i++) d[i] = 0;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadRow(float* src, int ld, int row, int rows, int p) =>
        row < rows ? Vector256.Load(src + (long)row * ld + p) : Vector256<float>.Zero;

    /// <summary>Packs op(B)[p0..p0+kc, j0..j0+nc] as ceil(nc/nr) panels, each kc steps of nr floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transB, float* b, int ldb, int p0, int j0, int kc, int nc, int nr, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = dst + (long)jr * kc;
            if (!transB)
            {
                // B stored k x n: the nr columns of one k step are contiguous.
                float* src = b + (long)p0 * ldb + j0 + jr;
                if (cols == nr && nr % 8 == 0)
                {
                    for (int p = 0; p < kc; p++, src += ldb)
                    {
                        float* d = panel + p * nr;
                        for (int j = 0; j < nr; j += 8) Vector256.Store(Vector256.Load(src + j), d + j);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += ldb)
                    {
                        float* d = panel + p * nr;
                        int j = 0;
                        for (; j < cols; j++) d[j] = src[j];
                        for (; j < nr; j++) d[j] = 0;
                    }
                }
            }
            else
            {
                // B stored n x k: gather columns. Full groups of 8 columns go through register transposes.
                int g = 0;
                if (Avx.IsSupported)
                {
                    for (; g + 8 <= cols; g += 8)
                    {
                        float* src = b + (long)(j0 + jr + g) * ldb + p0;
                        int p = 0;
                        for (; p + 8 <= kc; p += 8)
                        {
                            var r0 = Vector256.Load(src + p); var r1 = Vector256.Load(src + ldb + p);
                            var r2 = Vector256.Load(src + 2L * ldb + p); var r3 = Vector256.Load(src + 3L * ldb + p);
                            var r4 = Vector256.Load(src + 4L * ldb + p); var r5 = Vector256.Load(src + 5L * ldb + p);
                            var r6 = Vector256.Load(src + 6L * ldb + p); var r7 = Vector256.Load(src + 7L * ldb + p);
                            Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                            float* d = panel + p * nr + g;
                            r0.Store(d); r1.Store(d + nr); r2.Store(d + 2 * nr); r3.Store(d + 3 * nr);
                            r4.Store(d + 4 * nr); r5.Store(d + 5 * nr); r6.Store(d + 6 * nr); r7.Store(d + 7 * nr);
                        }
                        for (; p < kc; p++)
                            for (int j = 0; j < 8; j++) panel[p * nr + g + j] = src[(long)j * ldb + p];
                    }
                }
                for (int j = g; j < cols; j++)
                {
                    float* src = b + (long)(j0 + jr + j) * ldb + p0;
                    float* d = panel + j;
                    for (int p = 0; p < kc; p++) d[p * nr] = src[p];
                }
                for (int j = cols; j < nr; j++)
                {
                    float* d = panel + j;
                    for (int p = 0; p < kc; p++) d[p * nr] = 0;
                }
            }
        }
    }

    /// <summary>dst[j, i] = src[i, j] * scale[j] (scale null: 1) for a rows x cols block, 8 x 8 at a time through
    /// register transposes, the ragged edges element by element. Attention's outputs come out of its kernels
    /// transposed (dims down, queries or keys across); a scalar strided copy into the model's head-interleaved output
    /// rows cost ~3 % of the attention forward at 485 tokens (in-model profile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(float* src, long lds, int rows, int cols, float* dst, long ldd, float* scale = null)
    {
        int rowsVec = Avx.IsSupported ? rows / 8 * 8 : 0, colsVec = Avx.IsSupported ? cols / 8 * 8 : 0;
        for (int j = 0; j < colsVec; j += 8)
        {
            var f = scale != null ? Vector256.Load(scale + j) : Vector256<float>.One;
            float* d = dst + j * ldd;
            for (int i = 0; i < rowsVec; i += 8)
            {
                float* s = src + i * lds + j;
                var r0 = Vector256.Load(s) * f; var r1 = Vector256.Load(s + lds) * f;
                var r2 = Vector256.Load(s + 2 * lds) * f; var r3 = Vector256.Load(s + 3 * lds) * f;
                var r4 = Vector256.Load(s + 4 * lds) * f; var r5 = Vector256.Load(s + 5 * lds) * f;
                var r6 = Vector256.Load(s + 6 * lds) * f; var r7 = Vector256.Load(s + 7 * lds) * f;
                Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                r0.Store(d + i); r1.Store(d + ldd + i); r2.Store(d + 2 * ldd + i); r3.Store(d + 3 * ldd + i);
                r4.Store(d + 4 * ldd + i); r5.Store(d + 5 * ldd + i); r6.Store(d + 6 * ldd + i); r7.Store(d + 7 * ldd + i);
            }
        }
        for (int j = 0; j < cols; j++)
        {
            float f = scale != null ? scale[j] : 1f;
            for (int i = j < colsVec ? rowsVec : 0; i < rows; i++) dst[j * ldd + i] = src[i * lds + j] * f;
        }
    }

    /// <summary>In-register transpose of an 8 x 8 float block held as 8 row vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(s0, s4, 0x20); r1 = Avx.Permute2x128(s1, s5, 0x20);
        r2 = Avx.Permute2x128(s2, s6, 0x20); r3 = Avx.Permute2x128(s3, s7, 0x20);
        r4 = Avx.Permute2x128(s0, s4, 0x31); r5 = Avx.Permute2x128(s1, s5, 0x31);
        r6 = Avx.Permute2x128(s2, s6, 0x31); r7 = Avx.Permute2x128(s3, s7, 0x31);
    }
}
