using System.CommandLine;
using Engine.Imaging;
using Engine.Pipelines;
using Spectre.Console;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine segment --model DIR --image FILE|DIR ... --prompt TEXT ... [--prompt-image FILE ...] --out DIR
/// [--threshold 0.5] [--batch N]`: per (image, prompt) a mask, probability and overlay PNG at the image's original
/// size, plus a label map and combined overlay when there are several prompts (see SegmentationWriter); text prompts
/// come first, then prompt images (named image-&lt;file stem&gt;); <c>segmentation.json</c> in the output folder lists
/// every image's coverage per prompt and its files (SegmentationReport). Unreadable images are reported and skipped
/// (exit code 1 at the end); an unreadable prompt image stops the run before any work.
/// </summary>
public sealed class SegmentCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model folder (e.g. a download of CIDAS/clipseg-rd64-refined, or made by engine init).", Required = true };
        var images = new Option<string[]>("--image") { Description = "Image file or folder of images (repeatable).", Required = true };
        var prompts = new Option<string[]>("--prompt") { Description = "Text prompt (repeatable)." };
        var promptImages = new Option<string[]>("--prompt-image") { Description = "Prompt image: an example of what to segment, instead of text (repeatable; CLIPSeg folders)." };
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var threshold = new Option<float?>("--threshold") { Description = "Mask threshold on the probability (default: the model's, 0.5 for CLIPSeg)." };
        var batch = new Option<int>("--batch") { Description = "Images per forward pass.", DefaultValueFactory = _ => 4 };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("segment", "Segment images with text prompts (or prompt images); writes mask, probability and overlay PNGs.")
            { model, images, prompts, promptImages, output, threshold, batch, device };
        cmd.SetAction(p => Run(p.GetValue(model)!, p.GetValue(images) ?? Array.Empty<string>(), p.GetValue(prompts) ?? Array.Empty<string>(),
            p.GetValue(promptImages) ?? Array.Empty<string>(), p.GetValue(output)!, p.GetValue(threshold), p.GetValue(batch), p.GetValue(device)!));
        return cmd;
    }

    private static int Run(string modelDir, string[] imageArgs, string[] texts, string[] promptImageFiles, string outDir, float? threshold, int batch, string device)
    {
        if (texts.Length == 0 && promptImageFiles.Length == 0) throw new ArgumentException("No --prompt given: pass at least one text prompt (or a --prompt-image).");
        if (texts.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("A --prompt is empty.");
        if (threshold is float t && !(t >= 0 && t <= 1)) throw new ArgumentException($"--threshold must lie in [0, 1] (got {t}).");
        if (batch < 1) throw new ArgumentException($"--batch must be at least 1 (got {batch}).");
        if (imageArgs.Length == 0) throw new ArgumentException("No --image given.");
        var files = ImageLoader.ExpandImagePaths(imageArgs);

        var options = new SegmentationOptions { BatchSize = batch, Threshold = threshold };
        var prompts = texts.Select(SegmentationPrompt.FromText)
            .Concat(promptImageFiles.Select(f => SegmentationPrompt.FromImageFile(f, options.ImageLoad))).ToArray();

        using var seg = SegmentationModel.Load(modelDir, Device.Parse(device), options);
        if (promptImageFiles.Length > 0 && !seg.AcceptsPromptImages)
            throw new NotSupportedException($"The {seg.Family} model in '{seg.ModelPath}' takes text prompts only; --prompt-image needs a CLIPSeg folder.");
        Directory.CreateDirectory(outDir);
        var names = UniqueNames(files);
        var failures = new List<string>();
        var report = new SegmentationReport(outDir, seg.ModelPath, seg.Family, threshold ?? seg.Threshold, prompts.Select(p => p.Name).ToList());
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"Segmenting {files.Count} image(s) x {prompts.Length} prompt(s)", maxValue: files.Count);
                for (int start = 0; start < files.Count; start += batch)
                {
                    var chunk = Enumerable.Range(start, Math.Min(batch, files.Count - start)).ToList();
                    var loaded = new List<(int index, RgbImage image)>();
                    foreach (var i in chunk)
                    {
                        try { loaded.Add((i, ImageLoader.Load(files[i], seg.Options.ImageLoad))); }
                        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                        {
                            failures.Add(e.Message.Contains(files[i], StringComparison.Ordinal) ? e.Message : $"{files[i]}: {e.Message}");
                            report.AddFailure(files[i], e.Message);
                            task.Increment(1);
                        }
                    }
                    if (loaded.Count == 0) continue;
                    var results = seg.Segment(loaded.Select(x => x.image).ToList(), prompts);
                    for (int j = 0; j < loaded.Count; j++)
                    {
                        var written = SegmentationWriter.Write(outDir, names[loaded[j].index], loaded[j].image, results[j]);
                        report.Add(files[loaded[j].index], results[j], written);
                        task.Increment(1);
                    }
                }
            });
        report.Write(Path.Combine(outDir, "segmentation.json"));
        Console.WriteLine($"{seg.Family}: segmented {report.Count} image(s) x {prompts.Length} prompt(s) (threshold {threshold ?? seg.Threshold}) -> {Path.GetFullPath(outDir)}");
        if (failures.Count > 0) Console.Error.WriteLine($"error: {failures.Count} of {files.Count} image(s) could not be read:");
        foreach (var f in failures) Console.Error.WriteLine($"error: {f}");
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>Output sub-folder name per image: the file stem, made unique when two images share one.</summary>
    private static string[] UniqueNames(List<string> files)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new string[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            var stem = SegmentationWriter.Slug(Path.GetFileNameWithoutExtension(files[i]), "image");
            var name = stem;
            for (int n = 2; !used.Add(name); n++) name = $"{stem}-{n}";
            names[i] = name;
        }
        return names;
    }
}
