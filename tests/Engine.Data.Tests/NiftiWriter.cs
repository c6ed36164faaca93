using System.Buffers.Binary;
using System.IO.Compression;
using Engine.Data.Nifti;

namespace Engine.Data.Tests;

/// <summary>Writes NIfTI-1 files for tests, with any datatype, byte order, scaling and qform/sform, so the reader is
/// checked against volumes whose orientation and values are known by construction.</summary>
public sealed class NiftiWriter
{
    public int[] Dims = [4, 3, 2];
    public NiftiDataType DataType = NiftiDataType.Int16;
    public bool BigEndian;
    public float Slope = 1, Inter;
    public float[] PixDim = [1, 1, 1, 1, 0, 0, 0, 0];
    public short QFormCode, SFormCode;
    public float[] Quatern = [0, 0, 0];
    public float[] QOffset = [0, 0, 0];
    public float[][] SRows = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]];

    /// <summary>RAS identity via sform.</summary>
    public NiftiWriter SForm(float[] x, float[] y, float[] z) { SFormCode = 1; SRows = [x, y, z]; return this; }

    public NiftiWriter QForm(float b, float c, float d, float qfac = 1) { QFormCode = 1; Quatern = [b, c, d]; PixDim[0] = qfac; return this; }

    public byte[] Build(Func<int, int, int, double> raw)
    {
        int bpv = NiftiDataTypes.BytesPerVoxel(DataType);
        long n = (long)Dims[0] * Dims[1] * Dims[2];
        var b = new byte[352 + n * bpv];
        void I16(int o, short v) { if (BigEndian) BinaryPrimitives.WriteInt16BigEndian(b.AsSpan(o), v); else BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(o), v); }
        void I32(int o, int v) { if (BigEndian) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(o), v); else BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(o), v); }
        void F32(int o, float v) { if (BigEndian) BinaryPrimitives.WriteSingleBigEndian(b.AsSpan(o), v); else BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(o), v); }
        I32(0, 348);
        I16(40, 3);
        for (int i = 0; i < 3; i++) I16(42 + 2 * i, (short)Dims[i]);
        for (int i = 3; i < 7; i++) I16(42 + 2 * i, 1);
        I16(70, (short)DataType);
        I16(72, (short)(8 * bpv));
        for (int i = 0; i < 8; i++) F32(76 + 4 * i, PixDim[i]);
        F32(108, 352);
        F32(112, Slope);
        F32(116, Inter);
        I16(252, QFormCode);
        I16(254, SFormCode);
        for (int i = 0; i < 3; i++) { F32(256 + 4 * i, Quatern[i]); F32(268 + 4 * i, QOffset[i]); }
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) F32(280 + 16 * r + 4 * c, SRows[r][c]);
        "n+1\0"u8.CopyTo(b.AsSpan(344));
        long v = 0;
        for (int k = 0; k < Dims[2]; k++)
        for (int j = 0; j < Dims[1]; j++)
        for (int i = 0; i < Dims[0]; i++, v++)
        {
            var d = b.AsSpan((int)(352 + v * bpv), bpv);
            double x = raw(i, j, k);
            switch (DataType)
            {
                case NiftiDataType.UInt8: d[0] = (byte)x; break;
                case NiftiDataType.Int8: d[0] = (byte)(sbyte)x; break;
                case NiftiDataType.Int16: I16((int)(352 + v * bpv), (short)x); break;
                case NiftiDataType.UInt16: if (BigEndian) BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)x); else BinaryPrimitives.WriteUInt16LittleEndian(d, (ushort)x); break;
                case NiftiDataType.Int32: I32((int)(352 + v * bpv), (int)x); break;
                case NiftiDataType.UInt32: if (BigEndian) BinaryPrimitives.WriteUInt32BigEndian(d, (uint)x); else BinaryPrimitives.WriteUInt32LittleEndian(d, (uint)x); break;
                case NiftiDataType.Int64: if (BigEndian) BinaryPrimitives.WriteInt64BigEndian(d, (long)x); else BinaryPrimitives.WriteInt64LittleEndian(d, (long)x); break;
                case NiftiDataType.UInt64: if (BigEndian) BinaryPrimitives.WriteUInt64BigEndian(d, (ulong)x); else BinaryPrimitives.WriteUInt64LittleEndian(d, (ulong)x); break;
                case NiftiDataType.Float32: F32((int)(352 + v * bpv), (float)x); break;
                case NiftiDataType.Float64: if (BigEndian) BinaryPrimitives.WriteDoubleBigEndian(d, x); else BinaryPrimitives.WriteDoubleLittleEndian(d, x); break;
            }
        }
        return b;
    }

    public void Write(string path, Func<int, int, int, double> raw)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = Build(raw);
        if (!path.EndsWith(".gz", StringComparison.Ordinal)) { File.WriteAllBytes(path, bytes); return; }
        using var f = File.Create(path);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        gz.Write(bytes);
    }
}
