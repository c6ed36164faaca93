using System.Buffers.Binary;
using System.IO.Compression;

namespace Engine.Data.Nifti;

/// <summary>A 3-D NIfTI-1 volume (.nii or .nii.gz) held as its raw voxel bytes; values are decoded on demand with
/// the header's byte order, datatype and scl_slope/scl_inter, so a 512x512x1000 int16 CT costs 512 MiB, not 1 GiB
/// of floats.</summary>
public sealed class NiftiVolume
{
    readonly byte[] _bytes;
    readonly long _dataOffset;
    readonly int _bpv;

    NiftiVolume(string path, NiftiHeader header, byte[] bytes)
    {
        Path = path;
        Header = header;
        _bytes = bytes;
        _dataOffset = header.VoxOffset;
        _bpv = NiftiDataTypes.BytesPerVoxel(header.DataType);
        long need = _dataOffset + header.VoxelCount * _bpv;
        if (bytes.LongLength < need)
            throw new DatasetException($"'{path}' is truncated: {bytes.LongLength} bytes, but {header.Nx}x{header.Ny}x{header.Nz} {header.DataType} voxels at offset {_dataOffset} need {need}");
        Orientation = NiftiOrientation.FromHeader(header);
    }

    public string Path { get; }
    public NiftiHeader Header { get; }
    public NiftiOrientation Orientation { get; }
    public int Nx => Header.Nx;
    public int Ny => Header.Ny;
    public int Nz => Header.Nz;

    public static NiftiVolume Load(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"NIfTI file '{path}' does not exist");
        byte[] bytes;
        try { bytes = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? Gunzip(path) : File.ReadAllBytes(path); }
        catch (InvalidDataException e) { throw new DatasetException($"'{path}' is not a valid gzip file: {e.Message}", e); }
        return new NiftiVolume(path, NiftiHeader.Parse(bytes, path), bytes);
    }

    static byte[] Gunzip(string path)
    {
        // The gzip trailer holds the uncompressed size mod 2^32: a capacity hint that avoids repeated regrowth.
        int hint = 0;
        using (var f = File.OpenRead(path))
        {
            if (f.Length >= 18)
            {
                f.Seek(-4, SeekOrigin.End);
                Span<byte> t = stackalloc byte[4];
                f.ReadExactly(t);
                // deflate expands at most ~1032:1, which bounds a corrupt trailer's claim
                hint = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(t), Math.Min(f.Length * 1100, int.MaxValue / 2));
            }
        }
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream(Math.Max(hint, 1024));
        gz.CopyTo(ms);
        return ms.Length == ms.Capacity ? ms.GetBuffer() : ms.ToArray();
    }

    /// <summary>Scaled value (scl_slope * raw + scl_inter) of voxel (i, j, k) in file order.</summary>
    public double Value(int i, int j, int k) => Scale(Raw(i + (long)Nx * (j + (long)Ny * k)));

    public double Scale(double raw) => Header.HasScaling ? raw * Header.SclSlope + Header.SclInter : raw;

    public double Raw(long voxel)
    {
        long o = _dataOffset + voxel * _bpv;
        var b = new ReadOnlySpan<byte>(_bytes, (int)o, _bpv);
        bool be = Header.BigEndian;
        return Header.DataType switch
        {
            NiftiDataType.UInt8 => b[0],
            NiftiDataType.Int8 => (sbyte)b[0],
            NiftiDataType.Int16 => be ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b),
            NiftiDataType.UInt16 => be ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b),
            NiftiDataType.Int32 => be ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b),
            NiftiDataType.UInt32 => be ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
            NiftiDataType.Int64 => be ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b),
            NiftiDataType.UInt64 => be ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b),
            NiftiDataType.Float32 => be ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b),
            NiftiDataType.Float64 => be ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b),
            _ => throw new InvalidOperationException(),
        };
    }

    public int AxialSliceCount => Orientation.SliceCount(Header.Dims);
    public (int Width, int Height) AxialSliceSize => Orientation.SliceSize(Header.Dims);

    /// <summary>Scaled values of axial slice <paramref name="slice"/> (0 = most inferior), row-major, displayed
    /// radiologically: patient's right on the image's left, anterior at the top.</summary>
    public double[] AxialSlice(int slice)
    {
        var (w, h) = AxialSliceSize;
        var result = new double[w * h];
        var ijk = new int[3];
        for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
        {
            Orientation.VoxelOf(Header.Dims, c, r, slice, ijk);
            result[r * w + c] = Scale(Raw(ijk[0] + (long)Nx * (ijk[1] + (long)Ny * ijk[2])));
        }
        return result;
    }
}
