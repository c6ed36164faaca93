using Engine.Imaging;

namespace Engine.Pipelines;

/// <summary>
/// What to segment: a text prompt ("polyp"; a plain string converts implicitly) or a prompt image - an example of the
/// structure, as CLIPSeg's visual prompts (transformers' <c>conditional_pixel_values</c>; CLIPSeg folders only).
/// <code>
/// var r = model.Segment("scan.png", new SegmentationPrompt[] { "polyp", SegmentationPrompt.FromImageFile("example.png") });
/// </code>
/// </summary>
public sealed class SegmentationPrompt
{
    private SegmentationPrompt(string name, string? text, RgbImage? image) { Name = name; Text = text; Image = image; }

    /// <summary>A text prompt.</summary>
    public static SegmentationPrompt FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("A text prompt is empty.", nameof(text));
        return new SegmentationPrompt(text, text, null);
    }

    /// <summary>A prompt image; <paramref name="name"/> labels its results (output file names in the CLI).</summary>
    public static SegmentationPrompt FromImage(RgbImage image, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A prompt image needs a name.", nameof(name));
        return new SegmentationPrompt(name, null, image);
    }

    /// <summary>A prompt image read from a file (PNG, JPEG, BMP, TIFF, GIF), named "image-&lt;file name stem&gt;".</summary>
    public static SegmentationPrompt FromImageFile(string path, ImageLoadOptions? options = null)
        => FromImage(ImageLoader.Load(path, options), "image-" + Path.GetFileNameWithoutExtension(path));

    public static implicit operator SegmentationPrompt(string text) => FromText(text);

    /// <summary>The text itself, or the prompt image's name.</summary>
    public string Name { get; }

    /// <summary>The text of a text prompt; null for a prompt image.</summary>
    public string? Text { get; }

    /// <summary>The image of a prompt image; null for a text prompt.</summary>
    public RgbImage? Image { get; }

    public override string ToString() => Image is null ? $"\"{Name}\"" : $"image {Name} ({Image.Width}x{Image.Height})";
}
