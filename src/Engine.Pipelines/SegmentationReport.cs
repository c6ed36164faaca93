using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Pipelines;

/// <summary>
/// A machine-readable record of a segmentation run (what <c>engine segment</c> writes as <c>segmentation.json</c>):
/// the model, threshold and prompts; per image its size, output folder and, per prompt, the mask's coverage (fraction
/// of pixels inside), the highest probability and the PNG paths (relative to the output folder); the images that
/// could not be read. Lets a script find the positives of a large folder without opening any PNG. Not thread-safe.
/// </summary>
public sealed class SegmentationReport(string outDir, string modelPath, string family, float threshold, IReadOnlyList<string> prompts)
{
    private readonly JsonArray _images = new();
    private readonly JsonArray _failed = new();

    public int Count => _images.Count;

    public void Add(string imagePath, SegmentationResult result, SegmentationFiles files)
    {
        var perPrompt = new JsonArray();
        for (int k = 0; k < result.Prompts.Count; k++)
        {
            var f = files.Prompts[k];
            perPrompt.Add(new JsonObject
            {
                ["prompt"] = result.Prompts[k],
                ["coverage"] = Math.Round(result.Coverage(k), 6),
                ["max_probability"] = Math.Round(result.Probabilities[k].Length == 0 ? 0 : System.Numerics.Tensors.TensorPrimitives.Max<float>(result.Probabilities[k]), 6),
                ["mask"] = Relative(f.Mask),
                ["probability"] = Relative(f.Probability),
                ["overlay"] = Relative(f.Overlay),
            });
        }
        var entry = new JsonObject
        {
            ["image"] = Path.GetFullPath(imagePath),
            ["width"] = result.Width,
            ["height"] = result.Height,
            ["folder"] = Relative(files.Folder),
            ["prompts"] = perPrompt,
        };
        if (files.LabelMap is { } labels) entry["labels"] = Relative(labels);
        if (files.Overlay is { } overlay) entry["overlay"] = Relative(overlay);
        _images.Add(entry);
    }

    public void AddFailure(string imagePath, string error)
        => _failed.Add(new JsonObject { ["image"] = Path.GetFullPath(imagePath), ["error"] = error });

    /// <summary>Writes the report as indented JSON to <paramref name="path"/>.</summary>
    public void Write(string path)
    {
        var doc = new JsonObject
        {
            ["model"] = Path.GetFullPath(modelPath),
            ["family"] = family,
            ["threshold"] = threshold,
            ["prompts"] = new JsonArray(prompts.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
            ["images"] = _images.DeepClone(),
            ["failed"] = _failed.DeepClone(),
        };
        // Relaxed escaping: paths and messages stay readable (no \u0027 for quotes); the file is not embedded in HTML.
        File.WriteAllText(path, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }

    private string Relative(string path) => Path.GetRelativePath(outDir, path).Replace('\\', '/');
}
