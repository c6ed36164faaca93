using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Gpu;

/// <summary>
/// The 128x128 SGEMM with 16-wide k-slices in double-buffered shared memory: one barrier per slice (the 8-wide
/// kernel has two per half as much arithmetic), the next slice loaded into registers while this one is computed and
/// stored into the other buffer afterwards. Rows of the k-major tiles are padded to 132 floats so that storing a
/// row-major operand (16 consecutive k of one row per 16 lanes) does not put all lanes on one bank. Same 8x8 register
/// block per thread, semantics and host checks as <see cref="Gemm.TiledLargeKernel"/>; 33 KB of shared memory.
/// </summary>
public static partial class Gemm
{
    public const int DbTileK = 16, DbPitch = LargeTile + 4, DbBuffer = DbTileK * DbPitch;

    /// <summary>Element e (0..2047) of a 128 x 16 slice of A: its value (0 outside the matrix) and its k-major slot.</summary>
    private static float LoadADb(ArrayView<float> a, GemmParams p, long offA, int m0, int k0, int e)
    {
        int mm, kk;
        if (p.TransA != 0) { mm = e % LargeTile; kk = e / LargeTile; }
        else { kk = e % DbTileK; mm = e / DbTileK; }
        int gm = m0 + mm, gk = k0 + kk;
        if (gm >= p.M || gk >= p.K) return 0f;
        return p.TransA != 0 ? a[offA + (long)gk * p.Lda + gm] : a[offA + (long)gm * p.Lda + gk];
    }

    private static float LoadBDb(ArrayView<float> b, GemmParams p, long offB, int n0, int k0, int e)
    {
        int nn, kk;
        if (p.TransB != 0) { kk = e % DbTileK; nn = e / DbTileK; }
        else { nn = e % LargeTile; kk = e / LargeTile; }
        int gn = n0 + nn, gk = k0 + kk;
        if (gn >= p.N || gk >= p.K) return 0f;
        return p.TransB != 0 ? b[offB + (long)gn * p.Ldb + gk] : b[offB + (long)gk * p.Ldb + gn];
    }

    private static int SlotADb(int transA, int e) => transA != 0 ? (e / LargeTile) * DbPitch + e % LargeTile : (e % DbTileK) * DbPitch + e / DbTileK;

    private static int SlotBDb(int transB, int e) => transB != 0 ? (e % DbTileK) * DbPitch + e / DbTileK : (e / LargeTile) * DbPitch + e % LargeTile;

    [GpuKernel(ExplicitlyGrouped = true)]
    public static void TiledLargeDbKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
    {
        var As = SharedMemory.Allocate<float>(2 * DbBuffer); // two [k][m] buffers
        var Bs = SharedMemory.Allocate<float>(2 * DbBuffer); // two [k][n] buffers
        int tid = Group.IdxX, tx = tid % 16, ty = tid / 16;
        int n0 = Grid.IdxX * LargeTile, m0 = Grid.IdxY * LargeTile, batch = Grid.IdxZ;
        long offA = p.OffA + (batch / p.BatchInner) * p.A1 + (batch % p.BatchInner) * p.A2;
        long offB = p.OffB + (batch / p.BatchInner) * p.B1 + (batch % p.BatchInner) * p.B2;
        long offC = p.OffC + (batch / p.BatchInner) * p.C1 + (batch % p.BatchInner) * p.C2;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
        float c40 = 0, c41 = 0, c42 = 0, c43 = 0, c44 = 0, c45 = 0, c46 = 0, c47 = 0;
        float c50 = 0, c51 = 0, c52 = 0, c53 = 0, c54 = 0, c55 = 0, c56 = 0, c57 = 0;
        float c60 = 0, c61 = 0, c62 = 0, c63 = 0, c64 = 0, c65 = 0, c66 = 0, c67 = 0;
        float c70 = 0, c71 = 0, c72 = 0, c73 = 0, c74 = 0, c75 = 0, c76 = 0, c77 = 0;

        int sa0 = SlotADb(p.TransA, tid), sa1 = SlotADb(p.TransA, tid + 256), sa2 = SlotADb(p.TransA, tid + 512), sa3 = SlotADb(p.TransA, tid + 768);
        int sa4 = SlotADb(p.TransA, tid + 1024), sa5 = SlotADb(p.TransA, tid + 1280), sa6 = SlotADb(p.TransA, tid + 1536), sa7 = SlotADb(p.TransA, tid + 1792);
        int sb0 = SlotBDb(p.TransB, tid), sb1 = SlotBDb(p.TransB, tid + 256), sb2 = SlotBDb(p.TransB, tid + 512), sb3 = SlotBDb(p.TransB, tid + 768);
        int sb4 = SlotBDb(p.TransB, tid + 1024), sb5 = SlotBDb(p.TransB, tid + 1280), sb6 = SlotBDb(p.TransB, tid + 1536), sb7 = SlotBDb(p.TransB, tid + 1792);

        // Slice 0 straight into buffer 0.
        As[sa0] = LoadADb(a, p, offA, m0, 0, tid); As[sa1] = LoadADb(a, p, offA, m0, 0, tid + 256);
        As[sa2] = LoadADb(a, p, offA, m0, 0, tid + 512); As[sa3] = LoadADb(a, p, offA, m0, 0, tid + 768);
        As[sa4] = LoadADb(a, p, offA, m0, 0, tid + 1024); As[sa5] = LoadADb(a, p, offA, m0, 0, tid + 1280);
        As[sa6] = LoadADb(a, p, offA, m0, 0, tid + 1536); As[sa7] = LoadADb(a, p, offA, m0, 0, tid + 1792);
        Bs[sb0] = LoadBDb(b, p, offB, n0, 0, tid); Bs[sb1] = LoadBDb(b, p, offB, n0, 0, tid + 256);
        Bs[sb2] = LoadBDb(b, p, offB, n0, 0, tid + 512); Bs[sb3] = LoadBDb(b, p, offB, n0, 0, tid + 768);
        Bs[sb4] = LoadBDb(b, p, offB, n0, 0, tid + 1024); Bs[sb5] = LoadBDb(b, p, offB, n0, 0, tid + 1280);
        Bs[sb6] = LoadBDb(b, p, offB, n0, 0, tid + 1536); Bs[sb7] = LoadBDb(b, p, offB, n0, 0, tid + 1792);
        Group.Barrier();

        int cur = 0;
        for (int k0 = 0; k0 < p.K; k0 += DbTileK)
        {
            int kn = k0 + DbTileK;
            bool more = kn < p.K;
            float ra0 = 0, ra1 = 0, ra2 = 0, ra3 = 0, ra4 = 0, ra5 = 0, ra6 = 0, ra7 = 0;
            float rb0 = 0, rb1 = 0, rb2 = 0, rb3 = 0, rb4 = 0, rb5 = 0, rb6 = 0, rb7 = 0;
            if (more)
            {
                // The next slice's global loads are in flight while this slice is computed.
                ra0 = LoadADb(a, p, offA, m0, kn, tid); ra1 = LoadADb(a, p, offA, m0, kn, tid + 256);
                ra2 = LoadADb(a, p, offA, m0, kn, tid + 512); ra3 = LoadADb(a, p, offA, m0, kn, tid + 768);
                ra4 = LoadADb(a, p, offA, m0, kn, tid + 1024); ra5 = LoadADb(a, p, offA, m0, kn, tid + 1280);
                ra6 = LoadADb(a, p, offA, m0, kn, tid + 1536); ra7 = LoadADb(a, p, offA, m0, kn, tid + 1792);
                rb0 = LoadBDb(b, p, offB, n0, kn, tid); rb1 = LoadBDb(b, p, offB, n0, kn, tid + 256);
                rb2 = LoadBDb(b, p, offB, n0, kn, tid + 512); rb3 = LoadBDb(b, p, offB, n0, kn, tid + 768);
                rb4 = LoadBDb(b, p, offB, n0, kn, tid + 1024); rb5 = LoadBDb(b, p, offB, n0, kn, tid + 1280);
                rb6 = LoadBDb(b, p, offB, n0, kn, tid + 1536); rb7 = LoadBDb(b, p, offB, n0, kn, tid + 1792);
            }
            int bufBase = cur * DbBuffer;
            for (int kk = 0; kk < DbTileK; kk++)
            {
                // Row sub-views, then constant indices: immediate-offset shared loads (see GemmLarge.cs).
                var ar = As.SubView(bufBase + kk * DbPitch + ty, LargeTile - 15); var br = Bs.SubView(bufBase + kk * DbPitch + tx, LargeTile - 15);
                float a0 = ar[0], a1 = ar[16], a2 = ar[32], a3 = ar[48], a4 = ar[64], a5 = ar[80], a6 = ar[96], a7 = ar[112];
                float b0 = br[0], b1 = br[16], b2 = br[32], b3 = br[48], b4 = br[64], b5 = br[80], b6 = br[96], b7 = br[112];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
                c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3; c44 += a4 * b4; c45 += a4 * b5; c46 += a4 * b6; c47 += a4 * b7;
                c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3; c54 += a5 * b4; c55 += a5 * b5; c56 += a5 * b6; c57 += a5 * b7;
                c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3; c64 += a6 * b4; c65 += a6 * b5; c66 += a6 * b6; c67 += a6 * b7;
                c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3; c74 += a7 * b4; c75 += a7 * b5; c76 += a7 * b6; c77 += a7 * b7;
            }
            if (more)
            {
                // Everyone left the other buffer at the previous barrier, so it can be filled without a second one.
                var an = As.SubView((1 - cur) * DbBuffer, DbBuffer); var bn = Bs.SubView((1 - cur) * DbBuffer, DbBuffer);
                an[sa0] = ra0; an[sa1] = ra1; an[sa2] = ra2; an[sa3] = ra3; an[sa4] = ra4; an[sa5] = ra5; an[sa6] = ra6; an[sa7] = ra7;
                bn[sb0] = rb0; bn[sb1] = rb1; bn[sb2] = rb2; bn[sb3] = rb3; bn[sb4] = rb4; bn[sb5] = rb5; bn[sb6] = rb6; bn[sb7] = rb7;
            }
            Group.Barrier();
            cur = 1 - cur;
        }

        int r0 = m0 + ty, cc = n0 + tx;
        Store(c, p, offC, r0 + 0, cc + 0, c00); Store(c, p, offC, r0 + 0, cc + 16, c01); Store(c, p, offC, r0 + 0, cc + 32, c02); Store(c, p, offC, r0 + 0, cc + 48, c03); Store(c, p, offC, r0 + 0, cc + 64, c04); Store(c, p, offC, r0 + 0, cc + 80, c05); Store(c, p, offC, r0 + 0, cc + 96, c06); Store(c, p, offC, r0 + 0, cc + 112, c07);
        Store(c, p, offC, r0 + 16, cc + 0, c10); Store(c, p, offC, r0 + 16, cc + 16, c11); Store(c, p, offC, r0 + 16, cc + 32, c12); Store(c, p, offC, r0 + 16, cc + 48, c13); Store(c, p, offC, r0 + 16, cc + 64, c14); Store(c, p, offC, r0 + 16, cc + 80, c15); Store(c, p, offC, r0 + 16, cc + 96, c16); Store(c, p, offC, r0 + 16, cc + 112, c17);
        Store(c, p, offC, r0 + 32, cc + 0, c20); Store(c, p, offC, r0 + 32, cc + 16, c21); Store(c, p, offC, r0 + 32, cc + 32, c22); Store(c, p, offC, r0 + 32, cc + 48, c23); Store(c, p, offC, r0 + 32, cc + 64, c24); Store(c, p, offC, r0 + 32, cc + 80, c25); Store(c, p, offC, r0 + 32, cc + 96, c26); Store(c, p, offC, r0 + 32, cc + 112, c27);
        Store(c, p, offC, r0 + 48, cc + 0, c30); Store(c, p, offC, r0 + 48, cc + 16, c31); Store(c, p, offC, r0 + 48, cc + 32, c32); Store(c, p, offC, r0 + 48, cc + 48, c33); Store(c, p, offC, r0 + 48, cc + 64, c34); Store(c, p, offC, r0 + 48, cc + 80, c35); Store(c, p, offC, r0 + 48, cc + 96, c36); Store(c, p, offC, r0 + 48, cc + 112, c37);
        Store(c, p, offC, r0 + 64, cc + 0, c40); Store(c, p, offC, r0 + 64, cc + 16, c41); Store(c, p, offC, r0 + 64, cc + 32, c42); Store(c, p, offC, r0 + 64, cc + 48, c43); Store(c, p, offC, r0 + 64, cc + 64, c44); Store(c, p, offC, r0 + 64, cc + 80, c45); Store(c, p, offC, r0 + 64, cc + 96, c46); Store(c, p, offC, r0 + 64, cc + 112, c47);
        Store(c, p, offC, r0 + 80, cc + 0, c50); Store(c, p, offC, r0 + 80, cc + 16, c51); Store(c, p, offC, r0 + 80, cc + 32, c52); Store(c, p, offC, r0 + 80, cc + 48, c53); Store(c, p, offC, r0 + 80, cc + 64, c54); Store(c, p, offC, r0 + 80, cc + 80, c55); Store(c, p, offC, r0 + 80, cc + 96, c56); Store(c, p, offC, r0 + 80, cc + 112, c57);
        Store(c, p, offC, r0 + 96, cc + 0, c60); Store(c, p, offC, r0 + 96, cc + 16, c61); Store(c, p, offC, r0 + 96, cc + 32, c62); Store(c, p, offC, r0 + 96, cc + 48, c63); Store(c, p, offC, r0 + 96, cc + 64, c64); Store(c, p, offC, r0 + 96, cc + 80, c65); Store(c, p, offC, r0 + 96, cc + 96, c66); Store(c, p, offC, r0 + 96, cc + 112, c67);
        Store(c, p, offC, r0 + 112, cc + 0, c70); Store(c, p, offC, r0 + 112, cc + 16, c71); Store(c, p, offC, r0 + 112, cc + 32, c72); Store(c, p, offC, r0 + 112, cc + 48, c73); Store(c, p, offC, r0 + 112, cc + 64, c74); Store(c, p, offC, r0 + 112, cc + 80, c75); Store(c, p, offC, r0 + 112, cc + 96, c76); Store(c, p, offC, r0 + 112, cc + 112, c77);
    }
}
