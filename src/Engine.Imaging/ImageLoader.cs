using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Engine.Imaging;

/// <summary>
/// Decodes PNG, JPEG, BMP, TIFF and GIF (first frame) into an 8-bit <see cref="RgbImage"/> with ImageSharp:
/// grayscale is replicated to R = G = B, palettes are expanded, alpha is dropped (as PIL's convert("RGB") does),
/// 16-bit samples are scaled to 8 bits (v·255/65535, rounded), and the EXIF orientation is applied.
/// </summary>
/// <remarks>
/// PIL's convert("RGB") of a 16-bit grayscale PNG clips values above 255 instead of scaling, which turns most
/// 16-bit medical images white; scaling is the useful behaviour and is what this loader does. JPEG decoding
/// (ImageSharp's IDCT and chroma upsampling) can differ from libjpeg by a few levels; lossless formats decode
/// exactly.
/// </remarks>
public static class ImageLoader
{
    /// <summary>File extensions of the supported formats (lower case, with dot).</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } =
        new[] { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif" };

    /// <summary>Loads an image file.</summary>
    public static RgbImage Load(string path, ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image not found: '{path}'.", path);
        using var stream = File.OpenRead(path);
        return Load(stream, path, options);
    }

    /// <summary>Loads an encoded image from a stream; <paramref name="name"/> appears in error messages.</summary>
    public static RgbImage Load(Stream stream, string name = "<stream>", ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= ImageLoadOptions.Default;
        // Header first: refuse absurd sizes before the decoder allocates anything.
        var seekable = stream.CanSeek ? stream : CopyToMemory(stream);
        long start = seekable.Position;
        IImageInfo? info;
        try
        {
            info = Image.Identify(seekable);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new InvalidDataException($"'{name}' is not a readable image: {e.Message}", e);
        }
        if (info == null)
            throw new InvalidDataException($"'{name}' is not an image in a supported format (PNG, JPEG, BMP, TIFF, GIF).");
        CheckSize(info.Width, info.Height, name, options);
        seekable.Position = start;
        try
        {
            using var image = Image.Load<Rgb24>(seekable);
            if (options.ApplyExifOrientation) image.Mutate(x => x.AutoOrient());
            return ToRgbImage(image);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new InvalidDataException($"'{name}' could not be decoded (corrupt or truncated image): {e.Message}", e);
        }
    }

    /// <summary>Loads an encoded image held in memory.</summary>
    public static RgbImage Load(byte[] encoded, string name = "<bytes>", ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        using var stream = new MemoryStream(encoded, writable: false);
        return Load(stream, name, options);
    }

    /// <summary>
    /// Image files directly inside <paramref name="folder"/> with a supported extension, sorted by name
    /// (ordinal), for batch processing.
    /// </summary>
    public static IReadOnlyList<string> ListImages(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Image folder not found: '{folder}'.");
        return Directory.EnumerateFiles(folder)
            .Where(f => SupportedExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Image paths as a user gives them (command line, batch list): files as given, folders expanded to their images
    /// (<see cref="ListImages"/>); missing paths and folders without images are errors naming the path.
    /// </summary>
    public static List<string> ExpandImagePaths(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var a in paths)
        {
            if (Directory.Exists(a))
            {
                var list = ListImages(a);
                if (list.Count == 0) throw new FileNotFoundException($"Folder '{a}' holds no images ({string.Join(", ", SupportedExtensions)}).");
                files.AddRange(list);
            }
            else if (File.Exists(a)) files.Add(a);
            else throw new FileNotFoundException($"Image '{a}' does not exist.");
        }
        return files;
    }

    /// <summary>
    /// Any exception a decoder raises on malformed data (ImageSharp throws format, range, argument, overflow and
    /// allocation-limit exceptions depending on where the data breaks). I/O errors of the stream itself and
    /// cancellation are not decoder failures and pass through.
    /// </summary>
    private static bool IsDecoderFailure(Exception e) =>
        e is not (IOException and not EndOfStreamException) and not OperationCanceledException and not OutOfMemoryException;

    private static void CheckSize(int width, int height, string name, ImageLoadOptions options)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"'{name}' declares an empty image ({width}x{height}).");
        if (width > options.MaxSide || height > options.MaxSide || (long)width * height > options.MaxPixels)
            throw new InvalidDataException(
                $"'{name}' is {width}x{height} pixels, over the limit of {options.MaxSide} per side / {options.MaxPixels:N0} pixels.");
    }

    private static MemoryStream CopyToMemory(Stream stream)
    {
        var memory = new MemoryStream();
        stream.CopyTo(memory);
        memory.Position = 0;
        return memory;
    }

    internal static RgbImage ToRgbImage(Image<Rgb24> image)
    {
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return new RgbImage(image.Width, image.Height, pixels);
    }
}
