using System.Runtime.InteropServices;

namespace Engine.Weights;

/// <summary>Turns little-endian raw element bytes (a safetensors record or a torch storage slice) into an engine
/// tensor: F16/BF16/F64 become F32, I64/I32/U8/Bool are kept, I8/I16/U16 widen to I32. The bytes are copied,
/// so the tensor does not keep a file mapping alive.</summary>
internal static unsafe class RawTensorDecoder
{
    // Spans are int-indexed; large tensors are converted in chunks of this many bytes.
    private const int ChunkBytes = 1 << 28;

    public static Tensor Decode(byte* src, long byteLength, SafetensorsDType dtype, int[] shape, string file, string name)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Checkpoint files are little-endian; big-endian hosts are not supported.");
        long numel = Engine.Shape.Numel(shape);
        if (numel * dtype.ByteSize() != byteLength)
            throw new InvalidDataException($"{file}: tensor '{name}': {dtype.Name()} {Engine.Shape.Format(shape)} needs {numel * dtype.ByteSize()} bytes, got {byteLength}.");
        var target = dtype.EngineDType()
            ?? throw new InvalidDataException($"{file}: tensor '{name}': dtype {dtype.Name()} has no lossless engine representation (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U16, U8, BOOL).");
        if (numel > Array.MaxLength)
            throw new InvalidDataException($"{file}: tensor '{name}' has {numel} elements, more than one host array can hold.");
        int n = (int)numel;
        Tensor t;
        switch (target)
        {
            case DType.F32:
            {
                var dst = new float[n];
                ConvertToFloat(src, dtype, dst);
                t = Tensor.FromArray(dst, shape);
                break;
            }
            case DType.I64:
            {
                var dst = new long[n];
                CopyRaw(src, MemoryMarshal.AsBytes(dst.AsSpan()));
                t = Tensor.FromArray(dst, shape);
                break;
            }
            case DType.I32:
            {
                var dst = new int[n];
                ConvertToInt(src, dtype, dst);
                t = Tensor.FromArray(dst, shape);
                break;
            }
            default: // U8, Bool
            {
                var dst = new byte[n];
                CopyRaw(src, dst);
                if (target == DType.Bool)
                    for (int i = 0; i < dst.Length; i++) dst[i] = dst[i] != 0 ? (byte)1 : (byte)0; // canonical 0/1
                t = new Tensor(CpuStorage.WrapBytes(dst, target), shape);
                break;
            }
        }
        t.Name = name;
        return t;
    }

    private static void CopyRaw(byte* src, Span<byte> dst)
    {
        // Span<byte> over a managed array is at most int.MaxValue bytes; copy it in chunks for clarity with huge arrays.
        for (int off = 0; off < dst.Length; off += ChunkBytes)
        {
            int len = Math.Min(ChunkBytes, dst.Length - off);
            new ReadOnlySpan<byte>(src + off, len).CopyTo(dst.Slice(off, len));
        }
    }

    private static void ConvertToFloat(byte* src, SafetensorsDType dtype, float[] dst)
    {
        switch (dtype)
        {
            case SafetensorsDType.F32:
                fixed (float* d = dst) Buffer.MemoryCopy(src, d, (long)dst.Length * 4, (long)dst.Length * 4);
                break;
            case SafetensorsDType.F16:
            {
                var s = (Half*)src;
                for (long i = 0; i < dst.Length; i++) dst[i] = (float)s[i];
                break;
            }
            case SafetensorsDType.BF16:
            {
                var s = (ushort*)src;
                for (long i = 0; i < dst.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(s[i] << 16);
                break;
            }
            case SafetensorsDType.F64:
            {
                var s = (double*)src;
                for (long i = 0; i < dst.Length; i++) dst[i] = (float)s[i];
                break;
            }
            default: throw new ArgumentOutOfRangeException(nameof(dtype));
        }
    }

    private static void ConvertToInt(byte* src, SafetensorsDType dtype, int[] dst)
    {
        switch (dtype)
        {
            case SafetensorsDType.I32:
                fixed (int* d = dst) Buffer.MemoryCopy(src, d, (long)dst.Length * 4, (long)dst.Length * 4);
                break;
            case SafetensorsDType.I16:
                for (long i = 0; i < dst.Length; i++) dst[i] = ((short*)src)[i];
                break;
            case SafetensorsDType.U16:
                for (long i = 0; i < dst.Length; i++) dst[i] = ((ushort*)src)[i];
                break;
            case SafetensorsDType.I8:
                for (long i = 0; i < dst.Length; i++) dst[i] = ((sbyte*)src)[i];
                break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype));
        }
    }
}
