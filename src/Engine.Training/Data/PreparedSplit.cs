using System.Collections.Concurrent;
using Engine.Data;
using Engine.Imaging;

namespace Engine.Training.Data;

/// <summary>
/// One dataset split at the model's input size: images squash-resized (Pillow-exact, the model's filter) and masks
/// resized nearest, decoded once and kept in memory up to a byte budget (beyond it, samples are decoded again each
/// time), plus the original-resolution masks that evaluation scores against. Thread-safe.
/// </summary>
public sealed class PreparedSplit
{
    private readonly ConcurrentDictionary<string, RgbImage> _images = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, byte[]> _masks = new();
    private readonly ConcurrentDictionary<int, BinaryMask> _originalMasks = new();
    private readonly ConcurrentDictionary<string, RgbImage> _originalImages = new(StringComparer.Ordinal);
    private long _cachedBytes;

    /// <param name="cacheBytes">Memory budget for cached samples (0 = no caching).</param>
    public PreparedSplit(SegmentationDataset dataset, PreprocessorConfig config, long cacheBytes)
    {
        Dataset = dataset; Config = config; CacheBytes = cacheBytes;
        Width = config.Width ?? throw new ArgumentException("Training needs a fixed input size.");
        Height = config.Height ?? throw new ArgumentException("Training needs a fixed input size.");
    }

    public SegmentationDataset Dataset { get; }
    public PreprocessorConfig Config { get; }
    public long CacheBytes { get; }
    public int Width { get; }
    public int Height { get; }
    public int Count => Dataset.Count;

    /// <summary>The record's image at the model's size (shared by every record of the same image).</summary>
    public RgbImage ResizedImage(int record)
    {
        var name = Dataset.Records[record].ImageName;
        if (_images.TryGetValue(name, out var hit)) return hit;
        var resized = InputPreparation.ResizeImage(Dataset.LoadImage(record), Config);
        Remember(_images, name, resized, resized.Pixels.LongLength);
        return resized;
    }

    /// <summary>The record's mask at the model's size, 0/1 bytes.</summary>
    public byte[] ResizedMask(int record)
    {
        if (_masks.TryGetValue(record, out var hit)) return hit;
        var m = InputPreparation.ResizeMask(OriginalMask(record), Width, Height);
        Remember(_masks, record, m, m.LongLength);
        return m;
    }

    /// <summary>The record's image as stored (original resolution), for pipelines that do their own preprocessing.</summary>
    public RgbImage OriginalImage(int record)
    {
        var name = Dataset.Records[record].ImageName;
        if (_originalImages.TryGetValue(name, out var hit)) return hit;
        var image = Dataset.LoadImage(record);
        Remember(_originalImages, name, image, image.Pixels.LongLength);
        return image;
    }

    /// <summary>Width and height of the record's image (= its mask's).</summary>
    public (int Width, int Height) OriginalSize(int record)
    {
        var m = OriginalMask(record);
        return (m.Width, m.Height);
    }

    /// <summary>The record's mask at the image's original resolution.</summary>
    public BinaryMask OriginalMask(int record)
    {
        if (_originalMasks.TryGetValue(record, out var hit)) return hit;
        var m = Dataset.LoadMask(record);
        Remember(_originalMasks, record, m, m.Data.LongLength);
        return m;
    }

    private void Remember<TKey, TValue>(ConcurrentDictionary<TKey, TValue> cache, TKey key, TValue value, long bytes) where TKey : notnull
    {
        if (Interlocked.Read(ref _cachedBytes) + bytes > CacheBytes) return;
        if (cache.TryAdd(key, value)) Interlocked.Add(ref _cachedBytes, bytes);
    }
}
