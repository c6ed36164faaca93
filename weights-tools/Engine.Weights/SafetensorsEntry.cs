namespace Engine.Weights;

/// <summary>One tensor record of a safetensors header. <see cref="DataOffset"/> is relative to the start of the
/// data section (the byte after the header), as in the file; <see cref="ByteLength"/> = numel x dtype size.</summary>
public sealed record SafetensorsEntry(string Name, SafetensorsDType DType, int[] Shape, long DataOffset, long ByteLength)
{
    public long Numel => Engine.Shape.Numel(Shape);

    public override string ToString() => $"{Name}: {DType.Name()} {Engine.Shape.Format(Shape)} @ {DataOffset}+{ByteLength}";
}
