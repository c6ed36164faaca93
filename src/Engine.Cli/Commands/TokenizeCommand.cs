using System.CommandLine;
using System.Text.Json;
using Engine.Models.Loading;

namespace Engine.Cli.Commands;

/// <summary>`engine tokenize --model DIR --text "..." [--text ...]`: prints the folder tokenizer's ids and attention
/// mask as JSON (rows padded to the longest).</summary>
public sealed class TokenizeCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model folder holding the tokenizer files.", Required = true };
        var text = new Option<string[]>("--text") { Description = "Text to tokenize (repeatable).", Required = true };
        var cmd = new Command("tokenize", "Tokenize texts with a model folder's tokenizer; prints JSON ids and attention mask.") { model, text };
        cmd.SetAction(p =>
        {
            var texts = p.GetValue(text) ?? Array.Empty<string>();
            if (texts.Length == 0) throw new ArgumentException("Give at least one --text.");
            var folder = ModelFolder.Open(p.GetValue(model)!);
            var family = ModelFamilies.Detect(folder);
            var batch = family.Tokenize(folder, texts) ?? throw new NotSupportedException($"The {family.Name} model in '{folder.Path}' has no text input to tokenize.");
            var rows = Enumerable.Range(0, batch.BatchSize);
            var json = new
            {
                input_ids = rows.Select(r => batch.Ids.AsSpan(r * batch.SequenceLength, batch.SequenceLength).ToArray()).ToArray(),
                attention_mask = rows.Select(r => batch.AttentionMask.AsSpan(r * batch.SequenceLength, batch.SequenceLength).ToArray()).ToArray(),
            };
            Console.WriteLine(JsonSerializer.Serialize(json));
            return 0;
        });
        return cmd;
    }
}
