using System.CommandLine;
using Engine.Models.Loading;
using Engine.Weights;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine forward --model DIR --inputs inputs.safetensors --out outputs.safetensors [--grads grads.safetensors]
/// [--intermediates] [--freeze-encoders] [--frozen-bn] [--flag NAME]`: runs whichever model family reads DIR on named
/// input tensors (the conformance contract). Logic lives in Engine.Models (IModelFamily / IForwardRunner).
/// </summary>
public sealed class ForwardCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model folder (Hugging Face config.json, open_clip or CRIS layout).", Required = true };
        var inputs = new Option<string>("--inputs") { Description = "safetensors file of named input tensors (pixel_values, input_ids, attention_mask, labels, ...).", Required = true };
        var output = new Option<string>("--out") { Description = "safetensors file to write the named outputs to.", Required = true };
        var grads = new Option<string?>("--grads") { Description = "Also backpropagate the loss and write every parameter's gradient (checkpoint key names) here." };
        var inter = new Option<bool>("--intermediates") { Description = "Also write named intermediates (hidden states, attentions, decoder steps)." };
        var freeze = new Option<bool>("--freeze-encoders") { Description = "CLIPSeg: transformers' training semantics (CLIP towers under no_grad; only decoder gradients)." };
        var frozenBn = new Option<bool>("--frozen-bn") { Description = "CRIS: batch norm uses running statistics during the gradient run." };
        var flags = new Option<string[]>("--flag") { Description = "Family-specific switch (repeatable)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("forward", "Run a model folder on named input tensors and write named outputs (and gradients).")
            { model, inputs, output, grads, inter, freeze, frozenBn, flags, device };
        cmd.SetAction(p =>
        {
            var inPath = p.GetValue(inputs)!;
            if (!File.Exists(inPath)) throw new FileNotFoundException($"Inputs file '{inPath}' does not exist.");
            var folder = ModelFolder.Open(p.GetValue(model)!);
            var family = ModelFamilies.Detect(folder);
            var set = new HashSet<string>(p.GetValue(flags) ?? Array.Empty<string>(), StringComparer.Ordinal);
            if (p.GetValue(freeze)) set.Add("freeze-encoders");
            if (p.GetValue(frozenBn)) set.Add("frozen-bn");
            var gradsPath = p.GetValue(grads);
            var options = new ForwardOptions { ComputeGradients = gradsPath != null, RecordIntermediates = p.GetValue(inter), Flags = set };

            var tensors = SafetensorsFile.ReadAll(inPath);
            var dev = Device.Parse(p.GetValue(device)!);
            using var runner = family.OpenForwardRunner(folder, dev);
            var result = runner.Run(tensors, options);
            foreach (var n in result.Notes) Console.Error.WriteLine($"note: {n}");
            SafetensorsFile.Write(p.GetValue(output)!, result.Outputs);
            // Which CPU micro-kernels ran (ENGINE_CPU_KERNEL can force either): a result is reproducible only with the same ones.
            Console.WriteLine($"{family.Name}: wrote {result.Outputs.Count} outputs to {p.GetValue(output)}"
                + (dev.Kind == DeviceKind.Cpu ? $" (CPU kernels: {Engine.Kernels.Cpu.Gemm.KernelName})" : ""));
            if (gradsPath != null)
            {
                var g = result.Gradients ?? throw new InvalidOperationException($"The {family.Name} runner returned no gradients.");
                var meta = new Dictionary<string, string>(result.GradientMetadata) { ["format"] = "pt" };
                SafetensorsFile.Write(gradsPath, g, meta);
                Console.WriteLine($"{family.Name}: wrote {g.Count} gradients to {gradsPath}" + (result.GradientMetadata.TryGetValue("loss", out var l) ? $" (loss {l})" : ""));
            }
            return 0;
        });
        return cmd;
    }
}
