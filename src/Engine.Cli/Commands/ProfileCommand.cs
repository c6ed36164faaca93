using System.CommandLine;
using Engine.Perf;

namespace Engine.Cli.Commands;

/// <summary>`engine profile --model DIR [--device cpu] [--batch N] [--train] [--steps 3]`: runs a few steps of a model
/// folder and prints a per-kernel table (calls, total and mean ms, GFLOPS or GB/s, share of the step). Logic in
/// Engine.Perf.ModelProfiler; timings come from Engine.Profiling.OpProfiler.</summary>
public sealed class ProfileCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model folder (any family engine forward reads).", Required = true };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N, ilgpu-cpu.", DefaultValueFactory = _ => "cpu" };
        var batch = new Option<int>("--batch") { Description = "Images (and prompts) per step.", DefaultValueFactory = _ => 1 };
        var train = new Option<bool>("--train") { Description = "Profile forward + backward of the family's loss (random labels)." };
        var freeze = new Option<bool>("--freeze-encoders") { Description = "With --train: encoders frozen (decoder-only training)." };
        var steps = new Option<int>("--steps") { Description = "Profiled steps.", DefaultValueFactory = _ => 3 };
        var warmup = new Option<int>("--warmup") { Description = "Unprofiled warm-up steps.", DefaultValueFactory = _ => 1 };
        var size = new Option<int?>("--size") { Description = "Input size (default: the folder's preprocessing size)." };
        var shapes = new Option<bool>("--shapes") { Description = "One row per GEMM/conv/attention shape." };
        var rows = new Option<int>("--rows") { Description = "Rows to print.", DefaultValueFactory = _ => 40 };
        var peak = new Option<bool>("--peak") { Description = "Measure the FMA peak first and report the share of it (CPU)." };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: all processors).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<bool>("--json") { Description = "Print the profile as one JSON object." };
        var cmd = new Command("profile", "Per-kernel time profile of a few forward (or training) steps of a model folder.")
            { model, device, batch, train, freeze, steps, warmup, size, shapes, rows, peak, threads, json };
        cmd.SetAction(p =>
        {
            int t = Math.Max(1, p.GetValue(threads));
            double peakGflops = p.GetValue(peak) ? FmaPeak.MeasureGflops(t, repeats: 3, iterations: 5_000_000) : 0;
            bool asJson = p.GetValue(json);
            var result = ModelProfiler.Run(new ModelProfileOptions
            {
                ModelDir = p.GetValue(model)!, Device = Device.Parse(p.GetValue(device)!), Batch = p.GetValue(batch), Train = p.GetValue(train),
                FreezeEncoders = p.GetValue(freeze), Steps = p.GetValue(steps), Warmup = p.GetValue(warmup), Size = p.GetValue(size),
                ByShape = p.GetValue(shapes), Threads = t,
            }, asJson ? null : m => Console.Error.WriteLine(m));
            Console.WriteLine(asJson ? ModelProfileTable.ToJson(result, peakGflops) : ModelProfileTable.Format(result, peakGflops, p.GetValue(rows)));
            return 0;
        });
        return cmd;
    }
}
