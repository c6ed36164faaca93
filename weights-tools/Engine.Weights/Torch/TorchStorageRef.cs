namespace Engine.Weights.Torch;

/// <summary>Where a pickled storage's bytes live: a record of the torch zip archive (<c>&lt;top&gt;/data/&lt;key&gt;</c>).</summary>
internal interface ITorchStorageSource
{
    string File { get; }
    /// <summary>Length in bytes of the record holding storage <paramref name="key"/>; throws InvalidDataException if absent.</summary>
    long RecordLength(string key);
    /// <summary>Reads the first <paramref name="byteLength"/> bytes of the record holding storage <paramref name="key"/>.</summary>
    byte[] ReadRecord(string key, long byteLength);
    /// <summary>Fills <paramref name="destination"/> from the record of storage <paramref name="key"/>, starting at <paramref name="byteOffset"/>.</summary>
    void ReadRecordInto(string key, long byteOffset, Span<byte> destination);
}

/// <summary>A storage named by a pickle's persistent id <c>('storage', torch.XStorage, key, location, numel)</c>.
/// Checked on creation: its record exists and holds at least numel elements. <see cref="DType"/> is null for
/// an untyped (byte) storage, whose element type then comes from the tensor (<c>_rebuild_tensor_v3</c>).</summary>
public sealed class TorchStorageRef
{
    internal TorchStorageRef(ITorchStorageSource source, string key, SafetensorsDType? dtype, long numel, string location)
    {
        Source = source; Key = key; DType = dtype; Numel = numel; Location = location;
        long elem = dtype?.ByteSize() ?? 1;
        if (numel < 0) throw new InvalidDataException($"{source.File}: storage '{key}' has a negative element count {numel}.");
        long needed;
        try { needed = checked(numel * elem); }
        catch (OverflowException) { throw new InvalidDataException($"{source.File}: storage '{key}' claims {numel} elements, too many."); }
        long have = source.RecordLength(key);
        if (have < needed)
            throw new InvalidDataException($"{source.File}: storage '{key}' claims {numel} elements ({needed} bytes) but its record holds only {have} bytes (truncated or corrupt).");
        ByteLength = needed;
    }

    internal ITorchStorageSource Source { get; }
    public string Key { get; }
    public SafetensorsDType? DType { get; }
    /// <summary>Element count (bytes for an untyped storage).</summary>
    public long Numel { get; }
    public long ByteLength { get; }
    public string Location { get; }
    public override string ToString() => $"storage {Key} ({DType?.Name() ?? "untyped"} x {Numel}, {Location})";
}
