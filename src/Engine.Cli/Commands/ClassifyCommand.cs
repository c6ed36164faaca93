using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Engine.Imaging;
using Engine.Models.BiomedClip;
using Spectre.Console;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine classify --model DIR --image FILE|DIR ... --label "..." --label "..." [--template "this is a photo of {}"]
/// [--json]`: BiomedCLIP zero-shot classification, softmax probabilities over the labels per image.
/// </summary>
public sealed class ClassifyCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "BiomedCLIP folder (open_clip layout, e.g. microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224).", Required = true };
        var images = new Option<string[]>("--image") { Description = "Image file or folder of images (repeatable).", Required = true };
        var labels = new Option<string[]>("--label") { Description = "Candidate label (repeatable, at least one).", Required = true };
        var template = new Option<string>("--template") { Description = "Prompt template; {} is replaced by the label.", DefaultValueFactory = _ => BiomedClipPipeline.DefaultTemplate };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("classify", "Zero-shot image classification with BiomedCLIP (probabilities over the given labels).")
            { model, images, labels, template, json, device };
        cmd.SetAction(p =>
        {
            var labelList = (p.GetValue(labels) ?? Array.Empty<string>()).ToList();
            if (labelList.Count == 0 || labelList.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("Give at least one non-empty --label.");
            var files = BiomedClipPipeline.ExpandImagePaths(p.GetValue(images) ?? Array.Empty<string>());
            if (files.Count == 0) throw new ArgumentException("No --image given.");
            using var pipe = BiomedClipPipeline.Open(p.GetValue(model)!, Device.Parse(p.GetValue(device)!));
            var loaded = files.Select(f => (f, ImageLoader.Load(f))).ToList();
            var results = pipe.Classify(loaded, labelList, p.GetValue(template)!);
            if (p.GetValue(json))
            {
                var doc = results.Select(r => new Dictionary<string, object>
                {
                    ["image"] = r.Image,
                    ["best"] = r.Best,
                    ["probabilities"] = r.Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => (double)r.Probabilities[x.i]),
                });
                Console.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            var table = new Table().AddColumn("image");
            foreach (var l in labelList) table.AddColumn(new TableColumn(Markup.Escape(l)).RightAligned());
            foreach (var r in results)
            {
                var cells = new List<string> { Markup.Escape(Path.GetFileName(r.Image)) };
                for (int i = 0; i < r.Probabilities.Length; i++)
                {
                    var s = r.Probabilities[i].ToString("0.0000", CultureInfo.InvariantCulture);
                    cells.Add(r.Labels[i] == r.Best ? $"[bold]{s}[/]" : s);
                }
                table.AddRow(cells.ToArray());
            }
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }
}
