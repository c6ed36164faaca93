using ILGPU;

namespace Engine.Kernels.Gpu;

/// <summary>Tree reductions across one group through shared memory (group size a power of two, &lt;= 256).
/// Every thread of the group must call them; every thread gets the result.</summary>
public static class GroupReduce
{
    public const int MaxThreads = 256;

    public static float Sum(float v, ArrayView<float> scratch)
    {
        int tid = Group.IdxX, n = Group.DimX;
        scratch[tid] = v;
        Group.Barrier();
        for (int s = n / 2; s > 0; s /= 2)
        {
            if (tid < s) scratch[tid] += scratch[tid + s];
            Group.Barrier();
        }
        float r = scratch[0];
        Group.Barrier();
        return r;
    }

    public static float Max(float v, ArrayView<float> scratch)
    {
        int tid = Group.IdxX, n = Group.DimX;
        scratch[tid] = v;
        Group.Barrier();
        for (int s = n / 2; s > 0; s /= 2)
        {
            if (tid < s) scratch[tid] = GpuMath.Max(scratch[tid], scratch[tid + s]);
            Group.Barrier();
        }
        float r = scratch[0];
        Group.Barrier();
        return r;
    }
}
