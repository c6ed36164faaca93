namespace Engine.Data;

/// <summary>A binary segmentation mask, row-major (index y*Width + x); true = foreground.</summary>
public sealed class BinaryMask
{
    public BinaryMask(int width, int height, bool[] data)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"mask size {width}x{height} must be positive");
        if (data.Length != width * height)
            throw new ArgumentException($"mask buffer has {data.Length} values, expected {width}*{height}", nameof(data));
        Width = width;
        Height = height;
        Data = data;
    }

    public BinaryMask(int width, int height) : this(width, height, new bool[width * height]) { }

    public int Width { get; }
    public int Height { get; }
    public bool[] Data { get; }

    public bool this[int x, int y]
    {
        get => Data[y * Width + x];
        set => Data[y * Width + x] = value;
    }

    public int ForegroundCount()
    {
        int n = 0;
        foreach (var v in Data) if (v) n++;
        return n;
    }

    public bool IsEmpty => Array.IndexOf(Data, true) < 0;

    /// <summary>Foreground where the grey value passes the threshold (value >= threshold).</summary>
    public static BinaryMask FromGray(int width, int height, ReadOnlySpan<byte> gray, byte threshold)
    {
        var data = new bool[width * height];
        for (int i = 0; i < data.Length; i++) data[i] = gray[i] >= threshold;
        return new BinaryMask(width, height, data);
    }
}
