using System.Text;
using Engine.Imaging;

namespace Engine.Pipelines;

/// <summary>
/// Writes one image's results as PNGs under <c>outDir/&lt;image name&gt;/</c>: per prompt <c>&lt;prompt&gt;_mask.png</c>
/// (0/255 at the original size), <c>&lt;prompt&gt;_prob.png</c> (probability x 255) and <c>&lt;prompt&gt;_overlay.png</c>
/// (tint + outline over the image); with several prompts also <c>labels.png</c> (palette label map, 0 = background)
/// and <c>overlay.png</c> (all masks). The files are written side by side (<see cref="OutputWriters.WriteInParallel"/>).
/// </summary>
public static class SegmentationWriter
{
    /// <summary>Writes the files; returns where each went.</summary>
    public static SegmentationFiles Write(string outDir, string imageName, RgbImage image, SegmentationResult r)
    {
        var dir = Path.Combine(outDir, Slug(imageName, "image"));
        Directory.CreateDirectory(dir);
        var writes = new List<Action>();
        string Add(string name, Action<string> write) { var path = Path.Combine(dir, name); writes.Add(() => write(path)); return path; }
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var masks = new List<byte[]>();
        var perPrompt = new List<PromptFiles>();
        for (int k = 0; k < r.Prompts.Count; k++)
        {
            var name = Slug(r.Prompts[k], "prompt");
            if (!used.Add(name)) { int n = 2; while (!used.Add($"{name}-{n}")) n++; name = $"{name}-{n}"; }
            var mask = r.MaskBytes(k);
            masks.Add(mask);
            var colors = new[] { OutputWriters.DefaultColors[k % OutputWriters.DefaultColors.Length] };
            var probabilities = r.Probabilities[k];
            perPrompt.Add(new PromptFiles(r.Prompts[k],
                Add(name + "_mask.png", p => OutputWriters.WriteGray(p, mask, r.Width, r.Height)),
                Add(name + "_prob.png", p => OutputWriters.WriteProbabilityMap(p, probabilities, r.Width, r.Height)),
                Add(name + "_overlay.png", p => OutputWriters.WriteOverlay(p, image, new[] { mask }, colors))));
        }
        string? labelMap = null, overlay = null;
        if (r.LabelMap is { } labels)
        {
            labelMap = Add("labels.png", p => OutputWriters.WriteLabelMap(p, labels, r.Width, r.Height));
            overlay = Add("overlay.png", p => OutputWriters.WriteOverlay(p, image, masks));
        }
        OutputWriters.WriteInParallel(writes);
        return new SegmentationFiles(dir, perPrompt, labelMap, overlay);
    }

    /// <summary>A file-name-safe form of a prompt or image name (letters, digits, '-', '_', '.'; at most 60 characters).</summary>
    public static string Slug(string s, string fallback)
    {
        var b = new StringBuilder();
        foreach (var c in s.Trim())
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') b.Append(char.ToLowerInvariant(c));
            else if (b.Length > 0 && b[^1] != '-') b.Append('-');
            if (b.Length >= 60) break;
        }
        var r = b.ToString().Trim('-', '.');
        return r.Length == 0 ? fallback : r;
    }
}

/// <summary>Where <see cref="SegmentationWriter.Write"/> put one image's files.</summary>
/// <param name="Folder">the image's output folder.</param>
/// <param name="Prompts">per prompt, in the result's order.</param>
/// <param name="LabelMap">labels.png with several prompts, else null.</param>
/// <param name="Overlay">overlay.png (every mask) with several prompts, else null.</param>
public sealed record SegmentationFiles(string Folder, IReadOnlyList<PromptFiles> Prompts, string? LabelMap, string? Overlay);

/// <summary>One prompt's mask, probability-map and overlay PNG paths.</summary>
public sealed record PromptFiles(string Prompt, string Mask, string Probability, string Overlay);
