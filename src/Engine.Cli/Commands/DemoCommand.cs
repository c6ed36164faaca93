using System.CommandLine;
using Engine.Training.Demo;
using Engine.Training.Reporting;

namespace Engine.Cli.Commands;

/// <summary>`engine demo [--out DIR] [--epochs N] [--seed S] [--vocab DIR]`: synthetic data, tiny CLIPSeg, fine-tune,
/// test, metrics, curves and overlays, with no download (thin shell over Engine.Training.Demo.DemoRunner).</summary>
public sealed class DemoCommand : ICliCommand
{
    public Command Build()
    {
        var d = new DemoOptions();
        var output = new Option<string>("--out") { Description = "Output folder (data/, model-init/, run/, eval/, demo_summary.json).", DefaultValueFactory = _ => d.OutDir };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => d.Epochs };
        var seed = new Option<int>("--seed") { Description = "Seed of the data, the model and the training.", DefaultValueFactory = _ => d.Seed };
        var vocab = new Option<string?>("--vocab") { Description = "Folder with the CLIP vocab.json and merges.txt (default: ../shared/vocab/clip next to the repository)." };
        var images = new Option<int>("--images") { Description = "Synthetic images (two objects each).", DefaultValueFactory = _ => d.Images };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda, cuda:N, ilgpu-cpu.", DefaultValueFactory = _ => d.Device };
        var cmd = new Command("demo", "End-to-end demo without downloads: synthetic data, a tiny CLIPSeg, fine-tuning, testing, metrics, curves and overlays.")
            { output, epochs, seed, vocab, images, device };
        cmd.SetAction(p =>
        {
            var options = d with
            {
                OutDir = p.GetValue(output)!, Epochs = p.GetValue(epochs), Seed = p.GetValue(seed), VocabDir = p.GetValue(vocab),
                Images = p.GetValue(images), Device = p.GetValue(device)!,
            };
            var result = ConsoleTrainingProgress.Run(progress => DemoRunner.Run(options, progress));
            Console.WriteLine(DemoRunner.Describe(result));
            return result.Passed ? 0 : 2;
        });
        return cmd;
    }
}
