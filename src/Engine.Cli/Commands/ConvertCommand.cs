using System.CommandLine;
using Engine.Weights;

namespace Engine.Cli.Commands;

/// <summary>`engine convert --in FOLDER_OR_FILE --out model.safetensors`: rewrites a PyTorch checkpoint (read with the
/// safe unpickler; nothing in it is executed) or sharded weights as one safetensors file.</summary>
public sealed class ConvertCommand : ICliCommand
{
    public Command Build()
    {
        var input = new Option<string>("--in") { Description = "Model folder or checkpoint file (.bin/.pth/.pt zip, .safetensors, *.index.json).", Required = true };
        var output = new Option<string>("--out") { Description = "Output safetensors file.", Required = true };
        var exclude = new Option<string[]>("--exclude") { Description = "Tensor key to leave out (repeatable), e.g. a stale buffer.", AllowMultipleArgumentsPerToken = false };
        var cmd = new Command("convert", "Convert a checkpoint (pytorch_model.bin, .pth, shards) to safetensors.") { input, output, exclude };
        cmd.SetAction(p =>
        {
            var r = CheckpointConverter.Convert(p.GetValue(input)!, p.GetValue(output)!, p.GetValue(exclude));
            Console.WriteLine($"{r.Source} -> {r.Output}: {r.TensorCount} tensors, {r.Elements:N0} elements, {r.Bytes:N0} bytes" +
                              (r.Excluded.Count > 0 ? $" (excluded: {string.Join(", ", r.Excluded)})" : ""));
            return 0;
        });
        return cmd;
    }
}
