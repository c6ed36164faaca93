using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>AVX2 implicit-im2col B packers. The unit of work is 8 consecutive output positions of one window tap
/// (c, r, s): when they lie in one output row (unit column stride) and inside the image they are one contiguous run
/// of the input, a plain load; otherwise (row boundaries, padding, strides) a gather masked by the "inside the image"
/// test, so padding and ragged edges need no separate code. Per-group tables are built once per packing call; the
/// destination is always written panel by panel, sequentially (writing across panels strides by whole panels and
/// thrashes the cache sets).</summary>
internal static unsafe class Im2ColGather
{
    /// <summary>Per 8-position group: lane input rows/columns/offsets of tap (0, 0), where its run starts, and how many
    /// leading lanes share the first lane's input row.</summary>
    private readonly struct Groups
    {
        public readonly int* Ih0, Iw0, Idx0, BaseA, Split;
        public readonly bool Runs;

        public Groups(in ConvGeometry g, int j0, int count, int lanes)
        {
            int groups = lanes / 8;
            int* t = (int*)PackBuffers.Current.Temp(3L * lanes + 3L * groups + 16);
            Ih0 = t; Iw0 = t + lanes; Idx0 = t + 2 * lanes;
            BaseA = t + 3 * lanes; Split = BaseA + groups;
            int outW = g.OutW, width = g.Width;
            Runs = g.StrideW == 1 && outW >= 8 && width >= 8; // the run test below needs width - 8 >= 0
            int oh = j0 / outW, ow = j0 - oh * outW;
            for (int j = 0; j < lanes; j++)
            {
                if (j < count)
                {
                    Ih0[j] = oh * g.StrideH - g.PadH;
                    Iw0[j] = ow * g.StrideW - g.PadW;
                    if (++ow == outW) { ow = 0; oh++; }
                }
                else
                {
                    Ih0[j] = int.MinValue / 2; // never inside the image
                    Iw0[j] = 0;
                }
                Idx0[j] = Ih0[j] * width + Iw0[j];
            }
            for (int q = 0; q < groups; q++)
            {
                int j = q * 8, a = 1;
                while (a < 8 && Ih0[j + a] == Ih0[j]) a++;
                Split[q] = a;
                BaseA[q] = Idx0[j];
            }
        }
    }

    /// <summary>im2col values of tap (plane, dr, ds) at the 8 positions of a group: one plain load when they are one
    /// run of the input row inside the image (checked on the group's first lane: runRow is the run's input row, or
    /// far out of range for groups that are not one run), else a masked gather.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load8(int* ih0, int* iw0, int* idx0, int runRow, int runCol, int baseA, float* plane,
        int dr, int ds, int width, int heightS, Vector256<uint> height, Vector256<uint> widthV)
    {
        int off = dr * width + ds;
        if ((uint)(runRow + dr) < (uint)heightS && (uint)(runCol + ds) <= (uint)(width - 8))
            return Vector256.Load(plane + baseA + off);
        var ih = Vector256.Load(ih0) + Vector256.Create(dr);
        var iw = Vector256.Load(iw0) + Vector256.Create(ds);
        var inside = Vector256.LessThan(ih.AsUInt32(), height) & Vector256.LessThan(iw.AsUInt32(), widthV);
        var idx = Vector256.Load(idx0) + Vector256.Create(off);
        return Avx2.GatherMaskVector256(Vector256<float>.Zero, plane, idx, inside.AsSingle(), 4);
    }

    /// <summary>op(B) = im2col(image): rows are window taps (c, r, s), columns output positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(in ConvGeometry g, float* image, int p0, int j0, int kc, int nc, int nr, float* dst)
    {
        int lanes = (nc + nr - 1) / nr * nr;
        var t = new Groups(g, j0, nc, lanes);
        var height = Vector256.Create((uint)g.Height);
        var widthV = Vector256.Create((uint)g.Width);
        int kernelArea = g.KernelH * g.KernelW, width = g.Width;
        long plane = (long)g.Height * width;
        int kernelW = g.KernelW, kernelH = g.KernelH, dilH = g.DilationH, dilW = g.DilationW, heightS = g.Height;
        int groupsPerPanel = nr / 8;
        int* runRow = stackalloc int[groupsPerPanel];
        int* runCol = stackalloc int[groupsPerPanel];
        // Panel by panel; within a panel one k step (all nr lanes, adjacent input) at a time.
        for (int jr = 0; jr < lanes; jr += nr)
        {
            for (int h = 0; h < groupsPerPanel; h++)
            {
                int q = jr / 8 + h;
                runRow[h] = t.Runs && t.Split[q] == 8 ? t.Ih0[q * 8] : int.MinValue / 2;
                runCol[h] = t.Iw0[q * 8];
            }
            float* d = dst + (long)jr * kc;
            int c = p0 / kernelArea, rs = p0 - c * kernelArea, r = rs / kernelW, s = rs - r * kernelW;
            for (int p = 0; p < kc; p++, d += nr)
            {
                float* src = image + c * plane;
                int dr = r * dilH, ds = s * dilW;
                for (int h = 0; h < groupsPerPanel; h++)
                {
                    int q = jr / 8 + h;
                    Load8(t.Ih0 + q * 8, t.Iw0 + q * 8, t.Idx0 + q * 8, runRow[h], runCol[h], t.BaseA[q], src, dr, ds,
                        width, heightS, height, widthV).Store(d + h * 8);
                }
                if (++s == kernelW) { s = 0; if (++r == kernelH) { r = 0; c++; } }
            }
        }
    }

    /// <summary>op(B) = im2col(image)^T: rows are output positions, columns window taps. Eight positions of nr taps
    /// are loaded as tap vectors and transposed 8 x 8 into the panel rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackTransposed(in ConvGeometry g, float* image, int p0, int j0, int kc, int nc, int nr, float* dst)
    {
        int lanes = (kc + 7) / 8 * 8;
        var t = new Groups(g, p0, kc, lanes);
        var height = Vector256.Create((uint)g.Height);
        var widthV = Vector256.Create((uint)g.Width);
        int kernelArea = g.KernelH * g.KernelW, width = g.Width;
        long plane = (long)g.Height * width;
        float* spill = stackalloc float[64];
        int* tapDr = stackalloc int[8];
        int* tapDs = stackalloc int[8];
        long* tapPlane = stackalloc long[8];
        for (int jr = 0; jr < nc; jr += nr)
        {
            float* panel = dst + (long)jr * kc;
            for (int tap8 = 0; tap8 < nr; tap8 += 8)
            {
                // The 8 taps of this column group (zero beyond nc).
                int first = j0 + jr + tap8;
                int c = first / kernelArea, rs = first - c * kernelArea, r = rs / g.KernelW, s = rs - r * g.KernelW;
                int valid = Math.Clamp(nc - jr - tap8, 0, 8);
                for (int i = 0; i < 8; i++)
                {
                    tapDr[i] = r * g.DilationH; tapDs[i] = s * g.DilationW; tapPlane[i] = c * plane;
                    if (++s == g.KernelW) { s = 0; if (++r == g.KernelH) { r = 0; c++; } }
                }
                for (int q = 0; q < lanes / 8; q++)
                {
                    int* ih0 = t.Ih0 + q * 8, iw0 = t.Iw0 + q * 8, idx0 = t.Idx0 + q * 8;
                    int runRow = t.Runs && t.Split[q] == 8 ? ih0[0] : int.MinValue / 2, runCol = iw0[0];
                    int baseA = t.BaseA[q], heightS = g.Height;
                    var r0 = valid > 0 ? Load8(ih0, iw0, idx0, runRow, runCol, baseA, image + tapPlane[0], tapDr[0], tapDs[0], width, heightS, height, widthV) : default;
                    var r1 = valid > 1 ? Load8(ih0, iw0, idx0, runRow, runCol, baseA, image + tapPlane[1], tapDr[1], tapDs[1], width, heightS, height, widthV) : default;
                    var r2 = valid > 2 ? Load8(ih0, iw0, idx0, runRow, runCol, baseA, image + tapPlane[2], tapDr[2], tapDs[2], width, heightS, height, widthV) : default;
                    var r3 = valid > 3 ? Load8(ih0, iw0, idx0, runRow, runCol, baseA, image + tapPlane[3], tapDr[3], tapDs[3], width, heightS, height, widthV) : default;
                    var r4 = valid > 4 ? Load8(ih0, iw0, idx0, runRow, runCol, baseA, image + tapPlane[4], tapDr[4], tapDs[4], width, heightS, height, widthV) : default;
                    var r5 = valid > 5 ? Load8(ih0, iw0, idx0, runRow, runCol, baseA, image + tapPlane[5], tapDr[5], tapDs[5], width, heightS, height, widthV) : default;
                    var r6 = valid > 6 ? Load8(ih0, iw0, idx0, runRow, runCol, baseA, image + tapPlane[6], tapDr[6], tapDs[6], width, heightS, height, widthV) : default;
                    var r7 = valid > 7 ? Load8(ih0, iw0, idx0, runRow, runCol, baseA, image + tapPlane[7], tapDr[7], tapDs[7], width, heightS, height, widthV) : default;
                    GemmPacking.Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                    // Row i of the transposed block is position q*8+i, taps tap8..tap8+7.
                    int p = q * 8;
                    float* d = panel + (long)p * nr + tap8;
                    if (p + 8 <= kc)
                    {
                        r0.Store(d); r1.Store(d + nr); r2.Store(d + 2 * nr); r3.Store(d + 3 * nr);
                        r4.Store(d + 4 * nr); r5.Store(d + 5 * nr); r6.Store(d + 6 * nr); r7.Store(d + 7 * nr);
                    }
                    else
                    {
                        r0.Store(spill); r1.Store(spill + 8); r2.Store(spill + 16); r3.Store(spill + 24);
                        r4.Store(spill + 32); r5.Store(spill + 40); r6.Store(spill + 48); r7.Store(spill + 56);
                        for (int i = 0; p + i < kc; i++)
                            Vector256.Load(spill + i * 8).Store(d + (long)i * nr);
                    }
                }
            }
        }
    }
}
