namespace Engine.Imaging;

/// <summary>Resampling filters, numbered as PIL's Image.Resampling (the "resample" value in preprocessor_config.json).</summary>
public enum ResampleFilter
{
    Nearest = 0,
    Lanczos = 1,
    Bilinear = 2,
    Bicubic = 3,
    Box = 4,
    Hamming = 5,
}
