using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>Implicit-GEMM B operand: the im2col matrix of one image ([ColRows, ColCols], see
/// <see cref="ConvGeometry"/>) packed straight from the image, one im2col row segment at a time through an L1-sized
/// staging row. Saves writing and re-reading the whole column matrix, which dominates memory traffic for
/// large feature maps.</summary>
internal readonly unsafe struct Im2ColPackB(ConvGeometry g, float* image) : IGemmPackB
{
    /// <summary>Tests set this to exercise the portable row-copy packers on AVX2 machines.</summary>
    internal static bool ForceRowCopies { get; set; }

    public double CostPerElement => GemmPacking.TransposingCost;

    public float* Prepacked(int p0, int j0, int kc) => null;

    public int DepthBlock => 0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int p0, int j0, int kc, int nc, int nr, float* dst)
    {
        if (Avx2.IsSupported && !ForceRowCopies)
        {
            Im2ColGather.Pack(g, image, p0, j0, kc, nc, nr, dst);
            return;
        }
        int panels = (nc + nr - 1) / nr;
        float* row = PackBuffers.Current.Temp((long)panels * nr);
        new Span<float>(row + nc, panels * nr - nc).Clear(); // ragged last panel stays zero
        for (int p = 0; p < kc; p++)
        {
            Im2Col.RowSegment(g, image, p0 + p, j0, nc, row);
            float* d = dst + p * nr;
            for (int q = 0; q < panels; q++)
                for (int t = 0; t < nr; t += 8)
                    Vector256.Store(Vector256.Load(row + q * nr + t), d + (long)q * nr * kc + t);
        }
    }
}

/// <summary>Implicit-GEMM B operand for weight gradients: op(B) = im2col(image)^T ([ColCols, ColRows]), staged as nr
/// im2col rows over the pixel range and transposed into the panels.</summary>
internal readonly unsafe struct Im2ColTransposedPackB(ConvGeometry g, float* image) : IGemmPackB
{
    public double CostPerElement => GemmPacking.TransposingCost;

    public float* Prepacked(int p0, int j0, int kc) => null;

    public int DepthBlock => 0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int p0, int j0, int kc, int nc, int nr, float* dst)
    {
        if (Avx2.IsSupported && !Im2ColPackB.ForceRowCopies)
        {
            Im2ColGather.PackTransposed(g, image, p0, j0, kc, nc, nr, dst);
            return;
        }
        float* rows = PackBuffers.Current.Temp((long)nr * kc);
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            for (int t = 0; t < nr; t++)
            {
                if (t < cols) Im2Col.RowSegment(g, image, j0 + jr + t, p0, kc, rows + (long)t * kc);
                else new Span<float>(rows + (long)t * kc, kc).Clear();
            }
            float* panel = dst + (long)jr * kc;
            int p = 0;
            if (Avx.IsSupported)
            {
                for (; p + 8 <= kc; p += 8)
                    for (int t = 0; t < nr; t += 8)
                    {
                        float* src = rows + (long)t * kc + p;
                        var r0 = Vector256.Load(src); var r1 = Vector256.Load(src + kc);
                        var r2 = Vector256.Load(src + 2 * kc); var r3 = Vector256.Load(src + 3 * kc);
                        var r4 = Vector256.Load(src + 4 * kc); var r5 = Vector256.Load(src + 5 * kc);
                        var r6 = Vector256.Load(src + 6 * kc); var r7 = Vector256.Load(src + 7 * kc);
                        GemmPacking.Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                        float* d = panel + p * nr + t;
                        r0.Store(d); r1.Store(d + nr); r2.Store(d + 2 * nr); r3.Store(d + 3 * nr);
                        r4.Store(d + 4 * nr); r5.Store(d + 5 * nr); r6.Store(d + 6 * nr); r7.Store(d + 7 * nr);
                    }
            }
            for (; p < kc; p++)
                for (int t = 0; t < nr; t++) panel[p * nr + t] = rows[(long)t * kc + p];
        }
    }
}
