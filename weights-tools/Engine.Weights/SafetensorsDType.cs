namespace Engine.Weights;

/// <summary>Element types a safetensors header can name (the reference implementation's list).</summary>
public enum SafetensorsDType
{
    Bool,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
    F8_E4M3,
    F8_E5M2,
}

public static class SafetensorsDTypes
{
    /// <summary>Parses a header dtype string; null when the name is not a safetensors dtype.</summary>
    public static SafetensorsDType? Parse(string name) => name switch
    {
        "BOOL" => SafetensorsDType.Bool,
        "U8" => SafetensorsDType.U8,
        "I8" => SafetensorsDType.I8,
        "I16" => SafetensorsDType.I16,
        "U16" => SafetensorsDType.U16,
        "F16" => SafetensorsDType.F16,
        "BF16" => SafetensorsDType.BF16,
        "I32" => SafetensorsDType.I32,
        "U32" => SafetensorsDType.U32,
        "F32" => SafetensorsDType.F32,
        "F64" => SafetensorsDType.F64,
        "I64" => SafetensorsDType.I64,
        "U64" => SafetensorsDType.U64,
        "F8_E4M3" => SafetensorsDType.F8_E4M3,
        "F8_E5M2" => SafetensorsDType.F8_E5M2,
        _ => null,
    };

    public static string Name(this SafetensorsDType t) => t switch
    {
        SafetensorsDType.Bool => "BOOL",
        _ => t.ToString(),
    };

    public static int ByteSize(this SafetensorsDType t) => t switch
    {
        SafetensorsDType.Bool or SafetensorsDType.U8 or SafetensorsDType.I8 or SafetensorsDType.F8_E4M3 or SafetensorsDType.F8_E5M2 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>The engine dtype a tensor of this file dtype becomes on load: floats become F32 (compute type),
    /// I64/I32/U8/Bool are kept, narrow signed/unsigned ints widen losslessly to I32; null when there is no
    /// lossless engine representation (U32, U64, F8 variants).</summary>
    public static DType? EngineDType(this SafetensorsDType t) => t switch
    {
        SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.F64 => DType.F32,
        SafetensorsDType.I64 => DType.I64,
        SafetensorsDType.I32 or SafetensorsDType.I16 or SafetensorsDType.I8 or SafetensorsDType.U16 => DType.I32,
        SafetensorsDType.U8 => DType.U8,
        SafetensorsDType.Bool => DType.Bool,
        _ => null,
    };

    /// <summary>The file dtype used to write an engine tensor.</summary>
    public static SafetensorsDType FromEngine(DType t) => t switch
    {
        DType.F32 => SafetensorsDType.F32,
        DType.I64 => SafetensorsDType.I64,
        DType.I32 => SafetensorsDType.I32,
        DType.U8 => SafetensorsDType.U8,
        DType.Bool => SafetensorsDType.Bool,
        DType.F16 => SafetensorsDType.F16,
        DType.BF16 => SafetensorsDType.BF16,
        DType.F64 => SafetensorsDType.F64,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };
}
