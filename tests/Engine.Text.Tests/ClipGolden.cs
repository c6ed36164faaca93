using System.Text.Json;

namespace Engine.Text.Tests;

/// <summary>The 100 reference prompts of shared/golden/clip_tokenizer/clip_tokens.json.</summary>
internal static class ClipGolden
{
    public sealed record Prompt(int Index, string Text, string CleanedText, long[] Ids, string[] Tokens, bool Truncated,
        long[] HfSlowIds, string FtfyFixText);

    public static string Folder => TestPaths.SharedPath("golden", "clip_tokenizer");
    public static string VocabFolder => TestPaths.SharedPath("vocab", "clip");

    public static IReadOnlyList<Prompt> Prompts { get; } = Load();

    private static List<Prompt> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "clip_tokens.json")));
        return doc.RootElement.GetProperty("prompts").EnumerateArray().Select(p => new Prompt(
            p.GetProperty("index").GetInt32(),
            p.GetProperty("text").GetString()!,
            p.GetProperty("openai_cleaned_text").GetString()!,
            p.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
            p.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray(),
            p.GetProperty("truncated").GetBoolean(),
            p.GetProperty("hf_slow_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
            p.GetProperty("ftfy_fix_text").GetString()!)).ToList();
    }
}
