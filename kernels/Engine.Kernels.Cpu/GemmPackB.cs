namespace Engine.Kernels.Cpu;

/// <summary>Source of the B operand for the blocked GEMM: packs op(B)[p0..p0+kc, j0..j0+nc] into ceil(nc/nr) panels
/// of kc steps x nr floats (zero-padded), like <see cref="GemmPacking.PackB"/>. Structs, so the driver is
/// specialised per source.</summary>
internal unsafe interface IGemmPackB
{
    void Pack(int p0, int j0, int kc, int nc, int nr, float* dst);

    /// <summary>Panels already in the packed layout for (p0, j0, kc), read in place; null when they must be packed.</summary>
    float* Prepacked(int p0, int j0, int kc);

    /// <summary>Rough cost of packing one element, in multiply-add equivalents (used to choose thread splits).</summary>
    double CostPerElement { get; }

    /// <summary>The K-block depth the driver must use (B packed ahead of time with it), or 0 for the driver's own.</summary>
    int DepthBlock { get; }
}

/// <summary>A stored row-major matrix B (or B^T).</summary>
internal readonly unsafe struct MatrixPackB(float* b, int ldb, bool transB) : IGemmPackB
{
    public void Pack(int p0, int j0, int kc, int nc, int nr, float* dst) => GemmPacking.PackB(transB, b, ldb, p0, j0, kc, nc, nr, dst);

    public float* Prepacked(int p0, int j0, int kc) => null;

    public int DepthBlock => 0;

    /// <summary>A contiguous copy, or a gather through register transposes for B^T.</summary>
    public double CostPerElement => transB ? GemmPacking.TransposingCost : GemmPacking.CopyCost;
}
