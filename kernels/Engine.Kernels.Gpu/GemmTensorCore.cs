using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Engine.Kernels.Gpu;

/// <summary>
/// Tensor-core SGEMM (opt-in, <see cref="GemmPrecision.Tf32TensorCore"/>): inputs rounded to TF32, fp32 accumulate,
/// through inline PTX <c>mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32</c> (sm_80+, Hopper included).
/// A 128-thread group computes a 64x64 tile: 4 warps in 2x2, each warp 32x32 = 2 (m16) x 4 (n8) mma tiles, k-slices of
/// 16 staged in shared memory with rows padded to 20 floats so fragment loads are bank-conflict free.
/// Off CUDA (the CPU simulator) the same fragments go through a warp-shuffle emulation of the mma instruction, so
/// the simulator tests check the fragment layout and tiling that the GPU runs.
/// </summary>
public static class GemmTensorCore
{
    public const int TileM = 64, TileN = 64, TileK = 16, Threads = 128, Pitch = TileK + 4;

    internal static void Launch(GpuDevice dev, GemmParams p, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int batchCount)
    {
        if (dev.Accelerator is CudaAccelerator cuda && cuda.Architecture is { } arch && arch < CudaArchitecture.SM_80)
            throw new NotSupportedException($"The TF32 tensor-core GEMM needs sm_80 or newer; {dev.Name} is {arch}. Use GemmPrecision.Fp32.");
        var kernel = dev.Load<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>>(
            Kernel, acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(Kernel));
        kernel(new KernelConfig(new Index3D((p.N + TileN - 1) / TileN, (p.M + TileM - 1) / TileM, batchCount), new Index3D(Threads, 1, 1)), a, b, c, p);
    }

    /// <summary>Four fp32 accumulators of one m16n8 tile held by one lane.</summary>
    public struct Frag
    {
        public float C0, C1, C2, C3;
    }

    /// <summary>Rounds to TF32 (10-bit mantissa, round to nearest, ties away) as cvt.rna.tf32.f32 does.</summary>
    public static float RoundTf32(float x)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cvt.rna.tf32.f32 %0, %1;", out uint r, x);
            return Interop.IntAsFloat(r);
        }
        uint bits = Interop.FloatAsInt(x);
        if ((bits & 0x7F800000u) == 0x7F800000u) return x; // inf / nan unchanged
        return Interop.IntAsFloat((bits + 0x1000u) & 0xFFFFE000u);
    }

    /// <summary>D = A B + C for one m16n8k8 tile. Lane l holds, with g = l/4 and t = l%4: a0..a3 = A[g][t], A[g+8][t],
    /// A[g][t+4], A[g+8][t+4]; b0, b1 = B[t][g], B[t+4][g]; c0..c3 = C[g][2t], C[g][2t+1], C[g+8][2t], C[g+8][2t+1].
    /// <paramref name="scratch"/> (192 floats per warp of shared memory) is used only by the emulation.</summary>
    public static Frag Mma(Frag c, float a0, float a1, float a2, float a3, float b0, float b1, ArrayView<float> scratch)
    {
        if (CudaAsm.IsSupported)
        {
            Ref<float> d0 = c.C0, d1 = c.C1, d2 = c.C2, d3 = c.C3;
            Input<uint> x0 = Interop.FloatAsInt(a0), x1 = Interop.FloatAsInt(a1), x2 = Interop.FloatAsInt(a2), x3 = Interop.FloatAsInt(a3);
            Input<uint> y0 = Interop.FloatAsInt(b0), y1 = Interop.FloatAsInt(b1);
            CudaAsm.EmitRef(
                "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};",
                ref d0, ref d1, ref d2, ref d3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1);
            return new Frag { C0 = d0.Value, C1 = d1.Value, C2 = d2.Value, C3 = d3.Value };
        }
        // Emulation: lanes publish their fragments to this warp's slice of shared scratch (6 floats a lane) and
        // read the operands each of their outputs needs; two warp barriers instead of dozens of shuffles.
        int lane = Warp.LaneIdx, g = lane / 4, t = lane % 4;
        int mine = lane * 6;
        scratch[mine] = a0; scratch[mine + 1] = a1; scratch[mine + 2] = a2; scratch[mine + 3] = a3;
        scratch[mine + 4] = b0; scratch[mine + 5] = b1;
        Warp.Barrier();
        var r = c;
        for (int k = 0; k < 8; k++)
        {
            int kq = k % 4, hi = k / 4; // k < 4: a0/a1, b0; k >= 4: a2/a3, b1
            float aLo = scratch[(g * 4 + kq) * 6 + 2 * hi], aHi = scratch[(g * 4 + kq) * 6 + 1 + 2 * hi];
            float bN0 = scratch[(2 * t * 4 + kq) * 6 + 4 + hi], bN1 = scratch[((2 * t + 1) * 4 + kq) * 6 + 4 + hi];
            r.C0 += aLo * bN0; r.C1 += aLo * bN1; r.C2 += aHi * bN0; r.C3 += aHi * bN1;
        }
        Warp.Barrier();
        return r;
    }

    private static void StoreFrag(ArrayView<float> c, GemmParams p, long offC, int row, int col, Frag f)
    {
        Put(c, p, offC, row, col, f.C0); Put(c, p, offC, row, col + 1, f.C1);
        Put(c, p, offC, row + 8, col, f.C2); Put(c, p, offC, row + 8, col + 1, f.C3);
    }

    private static void Put(ArrayView<float> c, GemmParams p, long offC, int row, int col, float acc)
    {
        if (row >= p.M || col >= p.N) return;
        long ci = offC + (long)row * p.Ldc + col;
        c[ci] = p.Beta == 0f ? p.Alpha * acc : p.Alpha * acc + p.Beta * c[ci];
    }

    private static Frag Step(Frag acc, ArrayView<float> As, ArrayView<float> Bs, int aRow, int bCol, int ks, int t, ArrayView<float> scratch)
    {
        int ar = aRow * Pitch + ks + t, br = bCol * Pitch + ks + t;
        return Mma(acc, As[ar], As[ar + 8 * Pitch], As[ar + 4], As[ar + 8 * Pitch + 4], Bs[br], Bs[br + 4], scratch);
    }

    [GpuKernel(ExplicitlyGrouped = true)]
    public static void Kernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
    {
        var As = SharedMemory.Allocate<float>(TileM * Pitch); // [m][k]
        var Bs = SharedMemory.Allocate<float>(TileN * Pitch); // [n][k]
        int tid = Group.IdxX, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
        var scratch = CudaAsm.IsSupported ? Bs : SharedMemory.Allocate<float>(Threads * 6).SubView(warp * 192, 192);
        int wm = (warp / 2) * 32, wn = (warp % 2) * 32;
        int n0 = Grid.IdxX * TileN, m0 = Grid.IdxY * TileM, batch = Grid.IdxZ;
        long offA = p.OffA + (batch / p.BatchInner) * p.A1 + (batch % p.BatchInner) * p.A2;
        long offB = p.OffB + (batch / p.BatchInner) * p.B1 + (batch % p.BatchInner) * p.B2;
        long offC = p.OffC + (batch / p.BatchInner) * p.C1 + (batch % p.BatchInner) * p.C2;

        Frag f00 = default, f01 = default, f02 = default, f03 = default;
        Frag f10 = default, f11 = default, f12 = default, f13 = default;

        for (int k0 = 0; k0 < p.K; k0 += TileK)
        {
            for (int e = tid; e < TileM * TileK; e += Threads)
            {
                int mm, kk;
                if (p.TransA != 0) { mm = e % TileM; kk = e / TileM; } else { kk = e % TileK; mm = e / TileK; }
                int gm = m0 + mm, gk = k0 + kk;
                float v = 0f;
                if (gm < p.M && gk < p.K) v = p.TransA != 0 ? a[offA + (long)gk * p.Lda + gm] : a[offA + (long)gm * p.Lda + gk];
                As[mm * Pitch + kk] = RoundTf32(v);
            }
            for (int e = tid; e < TileN * TileK; e += Threads)
            {
                int nn, kk;
                if (p.TransB != 0) { kk = e % TileK; nn = e / TileK; } else { nn = e % TileN; kk = e / TileN; }
                int gn = n0 + nn, gk = k0 + kk;
                float v = 0f;
                if (gn < p.N && gk < p.K) v = p.TransB != 0 ? b[offB + (long)gn * p.Ldb + gk] : b[offB + (long)gk * p.Ldb + gn];
                Bs[nn * Pitch + kk] = RoundTf32(v);
            }
            Group.Barrier();
            for (int ks = 0; ks < TileK; ks += 8)
            {
                int r0 = wm + g, r1 = wm + 16 + g, cb = wn + g;
                f00 = Step(f00, As, Bs, r0, cb, ks, t, scratch); f01 = Step(f01, As, Bs, r0, cb + 8, ks, t, scratch);
                f02 = Step(f02, As, Bs, r0, cb + 16, ks, t, scratch); f03 = Step(f03, As, Bs, r0, cb + 24, ks, t, scratch);
                f10 = Step(f10, As, Bs, r1, cb, ks, t, scratch); f11 = Step(f11, As, Bs, r1, cb + 8, ks, t, scratch);
                f12 = Step(f12, As, Bs, r1, cb + 16, ks, t, scratch); f13 = Step(f13, As, Bs, r1, cb + 24, ks, t, scratch);
            }
            Group.Barrier();
        }

        int row0 = m0 + wm + g, row1 = row0 + 16, col = n0 + wn + 2 * t;
        StoreFrag(c, p, offC, row0, col, f00); StoreFrag(c, p, offC, row0, col + 8, f01);
        StoreFrag(c, p, offC, row0, col + 16, f02); StoreFrag(c, p, offC, row0, col + 24, f03);
        StoreFrag(c, p, offC, row1, col, f10); StoreFrag(c, p, offC, row1, col + 8, f11);
        StoreFrag(c, p, offC, row1, col + 16, f12); StoreFrag(c, p, offC, row1, col + 24, f13);
    }
}
