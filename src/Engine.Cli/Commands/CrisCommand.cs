using System.CommandLine;
using Engine.Models.Cris;

namespace Engine.Cli.Commands;

/// <summary>`engine cris check --golden DIR` (conformance against a CRIS golden case, both weight formats) and
/// `engine cris bench [--preset rn50] [--size 416] [--batch 1]` (forward and training-step time per image, share in
/// convolutions). Logic lives in Engine.Models.Cris.</summary>
public sealed class CrisCommand : ICliCommand
{
    public Command Build()
    {
        var cris = new Command("cris", "CRIS tools: golden conformance check and speed benchmark.");
        var golden = new Option<string>("--golden") { Description = "Golden case folder (e.g. ../shared/golden/cris_tiny).", Required = true };
        var check = new Command("check", "Compare a CRIS golden case (outputs, intermediates, gradients, running statistics) from model.safetensors and cris.pth.") { golden };
        check.SetAction(p =>
        {
            var rows = CrisConformance.Check(p.GetValue(golden)!, m => Console.Error.WriteLine(m));
            foreach (var r in rows) Console.WriteLine(r);
            return rows.All(r => r.Passed) ? 0 : 1;
        });
        cris.Subcommands.Add(check);

        var preset = new Option<string>("--preset") { Description = "tiny, rn50 or rn101 (random weights).", DefaultValueFactory = _ => "rn50" };
        var size = new Option<int?>("--size") { Description = "Input side in pixels (default: the preset's, 416 for rn50)." };
        var batch = new Option<int>("--batch") { Description = "Images per pass.", DefaultValueFactory = _ => 1 };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs (best is reported).", DefaultValueFactory = _ => 3 };
        var bench = new Command("bench", "CRIS forward and forward+backward time per image on the CPU, and the share spent in convolutions.") { preset, size, batch, repeats };
        bench.SetAction(p =>
        {
            var r = CrisBenchmark.Run(p.GetValue(preset)!, p.GetValue(size), p.GetValue(batch), p.GetValue(repeats), log: m => Console.Error.WriteLine(m));
            Console.WriteLine(r);
            return 0;
        });
        cris.Subcommands.Add(bench);
        return cris;
    }
}
