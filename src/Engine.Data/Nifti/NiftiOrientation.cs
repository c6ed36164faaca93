namespace Engine.Data.Nifti;

/// <summary>Maps voxel axes to patient directions from the header's affine (sform when sform_code &gt; 0, else qform
/// when qform_code &gt; 0, else nibabel's fallback diag(-dx, dy, dz)) and reads axial slices radiologically upright:
/// columns run from the patient's right to left, rows from anterior to posterior, slices from inferior to superior.
/// NIfTI world space is RAS+: +x points to the patient's Right, +y Anterior, +z Superior.</summary>
public sealed class NiftiOrientation
{
    NiftiOrientation(double[,] affine, int[] voxelAxisOfWorld, bool[] voxelIncreasesAlongWorld)
    {
        Affine = affine;
        _axisOf = voxelAxisOfWorld;
        _positive = voxelIncreasesAlongWorld;
    }

    readonly int[] _axisOf;     // world axis (0 x, 1 y, 2 z) -> voxel axis
    readonly bool[] _positive;  // does that voxel index increase toward +world?

    /// <summary>3x4 voxel-to-world (RAS+, mm) matrix that was used.</summary>
    public double[,] Affine { get; }

    /// <summary>Orientation code in nibabel's style, e.g. "RAS" or "LPS": the direction each voxel axis increases toward.</summary>
    public string Code
    {
        get
        {
            var code = new char[3];
            for (int w = 0; w < 3; w++) code[_axisOf[w]] = _positive[w] ? "RAS"[w] : "LPI"[w];
            return new string(code);
        }
    }

    public static NiftiOrientation FromHeader(NiftiHeader h)
    {
        var a = new double[3, 4];
        if (h.SFormCode > 0)
        {
            for (int c = 0; c < 4; c++) { a[0, c] = h.SRowX[c]; a[1, c] = h.SRowY[c]; a[2, c] = h.SRowZ[c]; }
        }
        else if (h.QFormCode > 0)
        {
            double b = h.QuaternB, c = h.QuaternC, d = h.QuaternD;
            double aa = 1.0 - (b * b + c * c + d * d);
            double qa;
            if (aa < 1e-7) { qa = 0; double n = Math.Sqrt(b * b + c * c + d * d); b /= n; c /= n; d /= n; }
            else qa = Math.Sqrt(aa);
            double[,] r =
            {
                { qa * qa + b * b - c * c - d * d, 2 * (b * c - qa * d), 2 * (b * d + qa * c) },
                { 2 * (b * c + qa * d), qa * qa + c * c - b * b - d * d, 2 * (c * d - qa * b) },
                { 2 * (b * d - qa * c), 2 * (c * d + qa * b), qa * qa + d * d - c * c - b * b },
            };
            double qfac = h.PixDim[0] < 0 ? -1 : 1;
            double[] s = [Spacing(h.PixDim[1]), Spacing(h.PixDim[2]), qfac * Spacing(h.PixDim[3])];
            for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) a[i, j] = r[i, j] * s[j];
            a[0, 3] = h.QOffsetX; a[1, 3] = h.QOffsetY; a[2, 3] = h.QOffsetZ;
        }
        else
        {
            a[0, 0] = -Spacing(h.PixDim[1]); a[1, 1] = Spacing(h.PixDim[2]); a[2, 2] = Spacing(h.PixDim[3]);
        }
        return FromAffine(a);
    }

    static double Spacing(float p) => p > 0 && float.IsFinite(p) ? p : 1.0;

    /// <summary>Matches each world axis to the voxel axis with the largest component (greedy on the largest absolute
    /// entry, so a permutation always results, also for oblique acquisitions).</summary>
    public static NiftiOrientation FromAffine(double[,] affine)
    {
        var axisOf = new int[3];
        var positive = new bool[3];
        var usedRow = new bool[3]; var usedCol = new bool[3];
        for (int step = 0; step < 3; step++)
        {
            int br = -1, bc = -1; double best = -1;
            for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
                if (!usedRow[r] && !usedCol[c] && Math.Abs(affine[r, c]) > best) { best = Math.Abs(affine[r, c]); br = r; bc = c; }
            if (best <= 0) throw new DatasetException("NIfTI affine is singular: cannot tell the orientation of the voxel axes");
            usedRow[br] = usedCol[bc] = true;
            axisOf[br] = bc;
            positive[br] = affine[br, bc] > 0;
        }
        return new NiftiOrientation(affine, axisOf, positive);
    }

    public int SliceCount(int[] dims) => dims[_axisOf[2]];

    /// <summary>(width, height) of an axial slice: voxels along x (left-right) by voxels along y (front-back).</summary>
    public (int Width, int Height) SliceSize(int[] dims) => (dims[_axisOf[0]], dims[_axisOf[1]]);

    /// <summary>Voxel (i, j, k) shown at column <paramref name="col"/> and row <paramref name="row"/> of axial slice
    /// <paramref name="slice"/>. Radiological display: the patient's right (+x) on the left (col 0), anterior (+y) at the
    /// top (row 0), slice 0 the most inferior (-z).</summary>
    public void VoxelOf(int[] dims, int col, int row, int slice, int[] ijk)
    {
        int ax = _axisOf[0], ay = _axisOf[1], az = _axisOf[2];
        ijk[ax] = _positive[0] ? dims[ax] - 1 - col : col;
        ijk[ay] = _positive[1] ? dims[ay] - 1 - row : row;
        ijk[az] = _positive[2] ? slice : dims[az] - 1 - slice;
    }
}
