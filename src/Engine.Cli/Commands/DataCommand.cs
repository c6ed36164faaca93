using System.CommandLine;
using System.Globalization;
using Engine.Data;
using Engine.Data.Converters;
using Engine.Data.Prompts;
using Engine.Data.Synthetic;

namespace Engine.Cli.Commands;

/// <summary>`engine data prepare|prompts|synth|check`: thin shell over Engine.Data (converters, prompt regeneration,
/// the synthetic demo dataset, the dataset validator).</summary>
public sealed class DataCommand : ICliCommand
{
    public Command Build()
    {
        var data = new Command("data", "Datasets: convert published datasets, (re)generate prompts, make the synthetic demo set, validate.");
        data.Subcommands.Add(Prepare());
        data.Subcommands.Add(Prompts());
        data.Subcommands.Add(Synth());
        data.Subcommands.Add(Check());
        return data;
    }

    static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    static Option<long> SeedOption() => new("--seed") { Description = "Seed of the split (and of the synthetic data).", DefaultValueFactory = _ => 42 };

    static Option<string?> TemplatesOption() => new("--templates")
        { Description = $"Prompt templates JSON (default: the dataset's {DatasetLayout.TemplatesFileName}, else the shipped one)." };

    static Option<int> ThreadsOption() => new("--threads") { Description = "Worker threads (default: all processors).", DefaultValueFactory = _ => Environment.ProcessorCount };

    static TextConversionLog ConsoleLog() => new(Console.Out, Console.Error);

    static Command Prepare()
    {
        var names = string.Join(", ", DatasetConverters.All.Select(c => c.Name));
        var dataset = Required("--dataset", $"Dataset: {names}.");
        var src = Required("--src", "The raw dataset folder, as its publisher distributes it.");
        var outDir = Required("--out", "Output dataset root (images/, masks/, anns/).");
        var seed = SeedOption();
        var split = new Option<string?>("--split") { Description = "train,val,test as fractions (0.8,0.1,0.1) or counts (20,0,360). Default: the dataset's published split." };
        var positives = new Option<bool>("--positives-only") { Description = "pneumothorax: keep only images with pneumothorax." };
        var window = new Option<string>("--window") { Description = "abdomenct-1k: CT window LEVEL,WIDTH in HU.", DefaultValueFactory = _ => "40,400" };
        var every = new Option<int>("--every") { Description = "abdomenct-1k: keep every N-th axial slice.", DefaultValueFactory = _ => 1 };
        var templates = TemplatesOption();
        var threads = ThreadsOption();
        var cmd = new Command("prepare", "Convert a published dataset into the standard layout.\n" +
                                         string.Join("\n", DatasetConverters.All.Select(c => $"  {c.Name}: {c.Title}; default split {c.DefaultSplitDescription}")))
            { dataset, src, outDir, seed, split, positives, window, every, templates, threads };
        cmd.SetAction(p =>
        {
            var converter = DatasetConverters.Get(p.GetValue(dataset)!);
            var options = new ConversionOptions
            {
                SourceDir = p.GetValue(src)!, OutputDir = p.GetValue(outDir)!, Seed = p.GetValue(seed),
                Split = p.GetValue(split) is { } s ? SplitSpec.Parse(s) : null,
                PositivesOnly = p.GetValue(positives), Window = ParseWindow(p.GetValue(window)!), Every = p.GetValue(every),
                TemplatesPath = p.GetValue(templates), MaxDegreeOfParallelism = Math.Max(1, p.GetValue(threads)),
            };
            var result = converter.Convert(options, ConsoleLog());
            Console.WriteLine(result.Summary());
            return 0;
        });
        return cmd;
    }

    static (double, double) ParseWindow(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var level)
                              && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var width) && width > 0)
            return (level, width);
        throw new ArgumentException($"--window '{text}' must be LEVEL,WIDTH in HU with a positive width, e.g. 40,400");
    }

    static Command Prompts()
    {
        var data = Required("--data", "Dataset root.");
        var regenerate = new Option<bool>("--regenerate") { Description = "Rewrite every record's prompts from its image, mask and class." };
        var templates = TemplatesOption();
        var threads = ThreadsOption();
        var cmd = new Command("prompts", "Show or regenerate the prompts of a prepared dataset.") { data, regenerate, templates, threads };
        cmd.SetAction(p =>
        {
            var root = p.GetValue(data)!;
            if (p.GetValue(regenerate))
            {
                var counts = PromptRegenerator.Regenerate(root, p.GetValue(templates), ConsoleLog(), p.GetValue(threads));
                Console.WriteLine("regenerated: " + string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}")));
            }
            foreach (var split in SegmentationDataset.AvailableSplits(root))
            {
                var ds = SegmentationDataset.Load(root, split, new DatasetLoadOptions { CheckPixels = false });
                Console.WriteLine($"{split}: {ds.Count} records, prompt keys {string.Join(" ", ds.PromptKeys)}");
                if (ds.Count == 0) continue;
                foreach (var key in ds.PromptKeys) Console.WriteLine($"  {key}: {ds.Prompt(0, key)}");
            }
            return 0;
        });
        return cmd;
    }

    static Command Synth()
    {
        var outDir = Required("--out", "Output dataset root.");
        var count = new Option<int>("--count") { Description = "Number of images (two blobs, two records each).", DefaultValueFactory = _ => 200 };
        var seed = SeedOption();
        var size = new Option<int>("--size") { Description = "Image side in pixels.", DefaultValueFactory = _ => 64 };
        var objects = new Option<int>("--objects") { Description = "Blobs per image (1 or 2).", DefaultValueFactory = _ => 2 };
        var split = new Option<string>("--split") { Description = "train,val,test fractions or counts of images.", DefaultValueFactory = _ => "0.8,0.1,0.1" };
        var templates = TemplatesOption();
        var threads = ThreadsOption();
        var cmd = new Command("synth", "Generate the synthetic demo dataset (bright/dark blobs on textured noise, prompts naming shape, brightness, size, location).")
            { outDir, count, seed, size, objects, split, templates, threads };
        cmd.SetAction(p =>
        {
            var result = SyntheticDatasetGenerator.Generate(new SyntheticOptions
            {
                OutputDir = p.GetValue(outDir)!, Count = p.GetValue(count), Seed = p.GetValue(seed), Size = p.GetValue(size),
                ObjectsPerImage = p.GetValue(objects), Split = SplitSpec.Parse(p.GetValue(split)!),
                TemplatesPath = p.GetValue(templates), MaxDegreeOfParallelism = Math.Max(1, p.GetValue(threads)),
            }, ConsoleLog());
            Console.WriteLine(result.Summary());
            return 0;
        });
        return cmd;
    }

    static Command Check()
    {
        var data = Required("--data", "Dataset root.");
        var prompt = new Option<string?>("--prompt") { Description = "Prompt key every record must have (e.g. p4)." };
        var cmd = new Command("check", "Validate a prepared dataset (files, binary masks, sizes, prompt keys).") { data, prompt };
        cmd.SetAction(p =>
        {
            var root = p.GetValue(data)!;
            var splits = SegmentationDataset.AvailableSplits(root);
            if (splits.Count == 0) throw new DatasetValidationException($"'{root}' has no {DatasetLayout.AnnotationsFolder}/{{train,val,test}}.json");
            foreach (var split in splits)
            {
                var ds = SegmentationDataset.Load(root, split, new DatasetLoadOptions
                    { RequiredPromptKeys = p.GetValue(prompt) is { } k ? [k] : [] });
                Console.WriteLine($"{split}: {ds.Count} records OK ({string.Join(", ", ds.Classes)}; prompts {string.Join(" ", ds.PromptKeys)})");
            }
            return 0;
        });
        return cmd;
    }
}
