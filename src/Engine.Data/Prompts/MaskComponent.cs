namespace Engine.Data.Prompts;

/// <summary>Geometry of one 8-connected foreground component of a mask.</summary>
public sealed record MaskComponent(
    int Area,
    double CentroidX,
    double CentroidY,
    double Perimeter,
    double MajorAxis,
    double MinorAxis)
{
    /// <summary>4πA/P²: 1 for a disc, lower for elongated or ragged outlines.</summary>
    public double Circularity => Perimeter <= 0 ? 1 : Math.Min(1.0, 4 * Math.PI * Area / (Perimeter * Perimeter));

    /// <summary>Major/minor axis ratio of the ellipse with the same second moments (>= 1).</summary>
    public double AxisRatio => MinorAxis <= 1e-9 ? double.PositiveInfinity : MajorAxis / MinorAxis;
}
