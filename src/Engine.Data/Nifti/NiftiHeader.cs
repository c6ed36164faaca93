using System.Buffers.Binary;

namespace Engine.Data.Nifti;

/// <summary>The fields of a NIfTI-1 header (348 bytes) this engine uses. Byte order is detected from sizeof_hdr
/// (348 read little- or big-endian).</summary>
public sealed record NiftiHeader(
    bool BigEndian,
    int[] Dims,
    NiftiDataType DataType,
    float[] PixDim,
    long VoxOffset,
    double SclSlope,
    double SclInter,
    short QFormCode,
    short SFormCode,
    float QuaternB, float QuaternC, float QuaternD,
    float QOffsetX, float QOffsetY, float QOffsetZ,
    float[] SRowX, float[] SRowY, float[] SRowZ)
{
    public const int Size = 348;

    public int Nx => Dims[0];
    public int Ny => Dims[1];
    public int Nz => Dims[2];
    public long VoxelCount => (long)Nx * Ny * Nz;

    /// <summary>True when scl_slope is a usable scale (the standard says 0 or non-finite means "no scaling").</summary>
    public bool HasScaling => SclSlope != 0 && double.IsFinite(SclSlope) && (SclSlope != 1 || SclInter != 0);

    public static NiftiHeader Parse(byte[] b, string path)
    {
        if (b.Length < Size) throw new DatasetException($"'{path}' is too short for a NIfTI-1 header ({b.Length} bytes, need {Size})");
        int le = BinaryPrimitives.ReadInt32LittleEndian(b), be = BinaryPrimitives.ReadInt32BigEndian(b);
        bool big;
        if (le == Size) big = false;
        else if (be == Size) big = true;
        else if (le == 540 || be == 540) throw new DatasetException($"'{path}' is a NIfTI-2 file; only NIfTI-1 is supported (re-save it as NIfTI-1, e.g. with nibabel)");
        else throw new DatasetException($"'{path}' is not a NIfTI-1 file (sizeof_hdr is {le}, expected 348)");

        short I16(int o) => big ? BinaryPrimitives.ReadInt16BigEndian(b.AsSpan(o)) : BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(o));
        float F32(int o) => big ? BinaryPrimitives.ReadSingleBigEndian(b.AsSpan(o)) : BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(o));
        float[] F32s(int o, int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = F32(o + 4 * i); return a; }

        var magic = System.Text.Encoding.ASCII.GetString(b, 344, 3);
        if (magic == "ni1") throw new DatasetException($"'{path}' is a two-file NIfTI-1 header (.hdr/.img pair); convert it to a single .nii/.nii.gz");
        if (magic != "n+1") throw new DatasetException($"'{path}': NIfTI-1 magic is '{magic}', expected 'n+1'");

        int ndim = I16(40);
        if (ndim < 2 || ndim > 7) throw new DatasetException($"'{path}': dim[0] = {ndim}, expected 2..7");
        var dims = new int[3];
        for (int i = 0; i < 3; i++) dims[i] = i < ndim ? I16(42 + 2 * i) : 1;
        for (int i = 3; i < ndim; i++)
            if (I16(42 + 2 * i) > 1) throw new DatasetException($"'{path}': dimension {i + 1} has size {I16(42 + 2 * i)}; only 3-D volumes (one time point) are supported");
        if (dims.Any(d => d <= 0)) throw new DatasetException($"'{path}': non-positive dimensions {string.Join("x", dims)}");

        short dt = I16(70);
        if (!NiftiDataTypes.IsSupported(dt))
            throw new DatasetException($"'{path}': datatype {NiftiDataTypes.Describe(dt)} is not supported (supported: {string.Join(", ", Enum.GetNames<NiftiDataType>())})");
        short bitpix = I16(72);
        if (bitpix != 0 && bitpix != 8 * NiftiDataTypes.BytesPerVoxel((NiftiDataType)dt))
            throw new DatasetException($"'{path}': bitpix {bitpix} does not match datatype {(NiftiDataType)dt}");

        float voxOffset = F32(108);
        return new NiftiHeader(big, dims, (NiftiDataType)dt, F32s(76, 8), (long)Math.Max(Size + 4, voxOffset),
            F32(112), F32(116), I16(252), I16(254), F32(256), F32(260), F32(264), F32(268), F32(272), F32(276),
            F32s(280, 4), F32s(296, 4), F32s(312, 4));
    }
}
