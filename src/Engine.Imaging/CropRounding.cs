namespace Engine.Imaging;

/// <summary>How a center crop's offset (input − crop)/2 is rounded when it is not whole.</summary>
public enum CropRounding
{
    /// <summary>transformers' center_crop: (input − crop) // 2.</summary>
    Floor,

    /// <summary>torchvision's CenterCrop: int(round((input − crop) / 2.0)), Python's round (half to even).</summary>
    HalfToEven,
}
