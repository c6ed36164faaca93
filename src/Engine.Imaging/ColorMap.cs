namespace Engine.Imaging;

/// <summary>How a probability map is shown.</summary>
public enum ColorMap
{
    /// <summary>8-bit gray, round(p·255).</summary>
    Gray,

    /// <summary>Blue → cyan → yellow → red ("jet"), as an RGB image.</summary>
    Jet,
}
