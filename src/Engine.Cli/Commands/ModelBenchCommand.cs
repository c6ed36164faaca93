using System.CommandLine;
using System.Globalization;
using Engine.Perf;

namespace Engine.Cli.Commands;

/// <summary>`engine bench model --family clipseg|vit-b16|biomedclip|biomedclipseg|cris [--preset P] [--size S]
/// [--batch 1,8] [--backward] [--json]`: whole-model timing with random weights (logic in Engine.Perf.ModelBench).
/// A subcommand of `engine bench` (listed in BenchCommand.Build), not a top-level command.</summary>
public static class ModelBenchCommand
{
    public static Command Build()
    {
        var family = new Option<string>("--family") { Description = $"Model: {string.Join(", ", ModelWorkloads.Families)}.", DefaultValueFactory = _ => "clipseg" };
        var preset = new Option<string?>("--preset") { Description = "Architecture preset (clipseg: rd64-refined (default), tiny)." };
        var size = new Option<int?>("--size") { Description = "Input size in pixels (default: the family's, CLIPSeg 352, ViT/BiomedCLIP 224)." };
        var batch = new Option<string>("--batch") { Description = "Comma-separated batch sizes.", DefaultValueFactory = _ => "1,8" };
        var backward = new Option<bool>("--backward") { Description = "Also time forward+backward (encoders frozen, and all parameters)." };
        var iterations = new Option<int>("--iterations") { Description = "Timed steps per case (after a profiled warm-up).", DefaultValueFactory = _ => 3 };
        var budget = new Option<double>("--budget") { Description = "Seconds after which a case stops timing (at least one step runs).", DefaultValueFactory = _ => 60 };
        var textLen = new Option<int?>("--text-len") { Description = "Prompt length in tokens (default 12)." };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: all processors).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<bool>("--json") { Description = "One JSON line per case." };
        var profile = new Option<bool>("--profile") { Description = "Also print the per-kernel profile of one step per case." };
        var shapes = new Option<bool>("--shapes") { Description = "With --profile: one row per GEMM/conv/attention shape." };
        var modelDir = new Option<string?>("--model") { Description = "Benchmark this model folder (any family) through its forward runner instead of --family." };
        var device = new Option<string>("--device") { Description = "With --model: cpu (default), cuda, cuda:N or ilgpu-cpu.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("model", "Whole-model ms per image, GFLOPS, share of the FMA peak, ratio to the FLOP lower bound, peak memory.")
            { family, preset, size, batch, backward, iterations, budget, textLen, threads, json, modelDir, profile, shapes, device };
        cmd.SetAction(p =>
        {
            var o = new ModelBenchOptions
            {
                Family = p.GetValue(family)!, Preset = p.GetValue(preset), Size = p.GetValue(size), Batches = ParseBatches(p.GetValue(batch)!),
                Backward = p.GetValue(backward), Iterations = Math.Max(1, p.GetValue(iterations)), BudgetSeconds = p.GetValue(budget),
                TextLength = p.GetValue(textLen), Threads = Math.Max(1, p.GetValue(threads)), ModelDir = p.GetValue(modelDir),
                Profile = p.GetValue(profile), ProfileByShape = p.GetValue(shapes), Device = Device.Parse(p.GetValue(device)!),
            };
            if (o.ModelDir is null && !o.Device.Equals(Device.Cpu))
                throw new ArgumentException("--device applies to --model folders; the --family workloads run on the CPU.");
            bool asJson = p.GetValue(json);
            if (o.ModelDir is null && string.Equals(o.Family, "cris", StringComparison.OrdinalIgnoreCase) && !ModelWorkloads.CrisAvailable())
            {
                Console.WriteLine(asJson ? "{\"bench\":\"model\",\"family\":\"cris\",\"available\":false,\"note\":\"not available yet: no CRIS model family in Engine.Models\"}"
                                         : "cris: not available yet (no CRIS model family in Engine.Models; the CRIS issue has not landed).");
                return 0;
            }
            foreach (var r in ModelBench.Run(o, asJson ? null : m => Console.Error.WriteLine(m)))
            {
                Console.WriteLine(asJson ? r.ToJson() : r.ToString());
                if (r.Profile is not null)
                    Console.WriteLine(asJson ? ModelProfileTable.ToJson(r.Profile, r.PeakGflops) : ModelProfileTable.Format(r.Profile, r.PeakGflops));
            }
            return 0;
        });
        return cmd;
    }

    private static int[] ParseBatches(string s)
    {
        try
        {
            var b = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            if (b.Length == 0 || b.Any(x => x < 1)) throw new FormatException();
            return b;
        }
        catch (FormatException) { throw new ArgumentException($"--batch expects positive comma-separated integers such as 1,8 (got '{s}')."); }
    }
}
