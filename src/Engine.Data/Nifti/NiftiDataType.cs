namespace Engine.Data.Nifti;

/// <summary>NIfTI-1 voxel datatypes this reader decodes (codes from nifti1.h).</summary>
public enum NiftiDataType : short
{
    UInt8 = 2, Int16 = 4, Int32 = 8, Float32 = 16, Float64 = 64,
    Int8 = 256, UInt16 = 512, UInt32 = 768, Int64 = 1024, UInt64 = 1280,
}

public static class NiftiDataTypes
{
    public static bool IsSupported(short code) => Enum.IsDefined(typeof(NiftiDataType), code);

    public static int BytesPerVoxel(NiftiDataType t) => t switch
    {
        NiftiDataType.UInt8 or NiftiDataType.Int8 => 1,
        NiftiDataType.Int16 or NiftiDataType.UInt16 => 2,
        NiftiDataType.Int32 or NiftiDataType.UInt32 or NiftiDataType.Float32 => 4,
        _ => 8,
    };

    /// <summary>Names of codes nifti1.h defines but this reader does not decode, for error messages.</summary>
    public static string Describe(short code) => code switch
    {
        1 => "BINARY", 32 => "COMPLEX64", 128 => "RGB24", 1536 => "FLOAT128", 1792 => "COMPLEX128", 2048 => "COMPLEX256", 2304 => "RGBA32",
        _ => IsSupported(code) ? ((NiftiDataType)code).ToString() : $"unknown code {code}",
    };
}
