namespace Engine;

/// <summary>Element types. Compute is float32; integer and bool tensors carry ids and masks;
/// F16/BF16 exist only on import and are converted to F32 when a tensor is created.</summary>
public enum DType
{
    F32,
    I64,
    I32,
    U8,
    Bool,
    F16,
    BF16,
    F64,
}

public static class DTypeInfo
{
    public static int SizeOf(this DType t) => t switch
    {
        DType.F32 => 4,
        DType.I64 => 8,
        DType.I32 => 4,
        DType.U8 => 1,
        DType.Bool => 1,
        DType.F16 => 2,
        DType.BF16 => 2,
        DType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };
}
