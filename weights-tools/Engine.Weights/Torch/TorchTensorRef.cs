namespace Engine.Weights.Torch;

/// <summary>
/// A tensor described by <c>torch._utils._rebuild_tensor_v2/_v3</c>: a strided view (element offset, sizes,
/// strides) of a storage. Construction checks that every element the view reaches lies inside the storage, so a
/// hostile pickle cannot read past its record. <see cref="Materialize"/> copies the view into a contiguous engine
/// tensor (F16/BF16/F64 -> F32; integer and bool kept).
/// </summary>
public sealed class TorchTensorRef
{
    internal TorchTensorRef(TorchStorageRef storage, SafetensorsDType dtype, long offset, int[] shape, long[] strides, bool requiresGrad)
    {
        Storage = storage; DType = dtype; Offset = offset; Shape = shape; Strides = strides; RequiresGrad = requiresGrad;
        string file = storage.Source.File;
        if (shape.Length != strides.Length)
            throw new InvalidDataException($"{file}: a tensor on storage '{storage.Key}' has {shape.Length} sizes but {strides.Length} strides.");
        if (offset < 0) throw new InvalidDataException($"{file}: a tensor on storage '{storage.Key}' has a negative storage offset {offset}.");
        long numel = 1, last = offset;
        try
        {
            for (int i = 0; i < shape.Length; i++)
            {
                if (shape[i] < 0) throw new InvalidDataException($"{file}: a tensor on storage '{storage.Key}' has a negative size {Engine.Shape.Format(shape)}.");
                if (strides[i] < 0) throw new InvalidDataException($"{file}: a tensor on storage '{storage.Key}' has a negative stride.");
                numel = checked(numel * shape[i]);
                if (shape[i] > 0) last = checked(last + (shape[i] - 1) * strides[i]);
            }
            if (numel > 0)
            {
                long endByte = checked((last + 1) * dtype.ByteSize());
                if (endByte > storage.ByteLength)
                    throw new InvalidDataException($"{file}: a tensor {dtype.Name()} {Engine.Shape.Format(shape)} (offset {offset}) on storage '{storage.Key}' reaches byte {endByte}, past the storage's {storage.ByteLength} bytes.");
            }
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{file}: a tensor on storage '{storage.Key}' has sizes/strides that overflow.");
        }
        Numel = numel;
    }

    public TorchStorageRef Storage { get; }
    public SafetensorsDType DType { get; }
    public long Offset { get; }
    public int[] Shape { get; }
    public long[] Strides { get; }
    public bool RequiresGrad { get; }
    public long Numel { get; }

    public bool IsContiguous
    {
        get
        {
            long acc = 1;
            for (int i = Shape.Length - 1; i >= 0; i--)
            {
                if (Shape[i] != 1 && Strides[i] != acc) return false;
                acc *= Shape[i];
            }
            return true;
        }
    }

    /// <summary>Copies the view out of <paramref name="storageBytes"/> (the whole storage record) into an engine tensor.</summary>
    public unsafe Tensor Materialize(byte[] storageBytes, string name)
    {
        if (storageBytes.LongLength < Storage.ByteLength)
            throw new InvalidDataException($"{Storage.Source.File}: storage '{Storage.Key}' record is shorter than declared.");
        int elem = DType.ByteSize();
        byte[] packed;
        long start = Offset * elem;
        if (IsContiguous || Numel == 0)
        {
            fixed (byte* p = storageBytes)
                return RawTensorDecoder.Decode(p + (Numel == 0 ? 0 : start), Numel * elem, DType, (int[])Shape.Clone(), Storage.Source.File, name);
        }
        packed = new byte[checked(Numel * elem)];
        GatherStrided(storageBytes, packed, elem);
        fixed (byte* p = packed)
            return RawTensorDecoder.Decode(p, packed.LongLength, DType, (int[])Shape.Clone(), Storage.Source.File, name);
    }

    /// <summary>For a contiguous view whose dtype needs no conversion, reads the elements straight from the archive
    /// into the tensor's own array (one copy, no staging buffer); null when the general path is needed.</summary>
    internal Tensor? TryMaterializeDirect(string name)
    {
        if (!IsContiguous || Numel == 0 || Numel * DType.ByteSize() > int.MaxValue) return null;
        int n = (int)Numel;
        long start = Offset * DType.ByteSize();
        var shape = (int[])Shape.Clone();
        Tensor t;
        switch (DType)
        {
            case SafetensorsDType.F32:
            {
                var a = new float[n];
                Storage.Source.ReadRecordInto(Storage.Key, start, System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
                t = Tensor.FromArray(a, shape);
                break;
            }
            case SafetensorsDType.I64:
            {
                var a = new long[n];
                Storage.Source.ReadRecordInto(Storage.Key, start, System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
                t = Tensor.FromArray(a, shape);
                break;
            }
            case SafetensorsDType.I32:
            {
                var a = new int[n];
                Storage.Source.ReadRecordInto(Storage.Key, start, System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
                t = Tensor.FromArray(a, shape);
                break;
            }
            default:
                return null;
        }
        t.Name = name;
        return t;
    }

    // Row-major walk over the view's multi-index, copying one element at a time (views in checkpoints are rare
    // and small; the contiguous case above is the hot path).
    private void GatherStrided(byte[] src, byte[] dst, int elem)
    {
        int rank = Shape.Length;
        var idx = new int[rank];
        long srcElem = Offset;
        for (long o = 0; o < Numel; o++)
        {
            Buffer.BlockCopy(src, checked((int)(srcElem * elem)), dst, checked((int)(o * elem)), elem);
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d]++;
                srcElem += Strides[d];
                if (idx[d] < Shape[d]) break;
                srcElem -= Strides[d] * Shape[d];
                idx[d] = 0;
            }
        }
    }

    public override string ToString() => $"tensor {DType.Name()} {Engine.Shape.Format(Shape)} on {Storage}";
}
