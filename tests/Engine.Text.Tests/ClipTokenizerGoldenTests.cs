using Engine.Text.Clip;
using Xunit;

namespace Engine.Text.Tests;

/// <summary>
/// Every reference prompt of shared/golden/clip_tokenizer must tokenize to exactly the reference ids (OpenAI
/// simple_tokenizer with ftfy 6.3.1), and the padded batches must equal the reference tensors.
/// </summary>
public class ClipTokenizerGoldenTests
{
    private static ClipTokenizer OpenAi => SharedTokenizers.Clip;

    private static string Describe(ClipGolden.Prompt p, IEnumerable<long> got) =>
        $"#{p.Index} {System.Text.Json.JsonSerializer.Serialize(p.Text)}: expected [{string.Join(",", p.Ids)}] got [{string.Join(",", got)}]";

    [Fact]
    public void AllPromptsMatchOpenAiIdsExactly()
    {
        var failures = new List<string>();
        foreach (var p in ClipGolden.Prompts)
        {
            var ids = OpenAi.EncodeOne(p.Text);
            if (!ids.SequenceEqual(p.Ids)) failures.Add(Describe(p, ids));
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {ClipGolden.Prompts.Count} prompts differ:\n" + string.Join("\n", failures));
        Assert.Equal(100, ClipGolden.Prompts.Count);
    }

    [Fact]
    public void AllPromptsMatchCleanedTextAndTokenStrings()
    {
        var failures = new List<string>();
        foreach (var p in ClipGolden.Prompts)
        {
            string cleaned = OpenAi.Clean(p.Text);
            if (cleaned != p.CleanedText) failures.Add($"#{p.Index} cleaned \"{cleaned}\" != \"{p.CleanedText}\"");
            if (p.Truncated) continue;
            var tokens = OpenAi.Tokens(p.Text);
            var expected = p.Tokens.Skip(1).Take(p.Tokens.Length - 2);
            if (!tokens.SequenceEqual(expected)) failures.Add($"#{p.Index} tokens [{string.Join(" ", tokens)}]");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void AllPromptsMatchTransformersSlowTokenizerInHuggingFaceMode()
    {
        var hfSlow = SharedTokenizers.ClipHuggingFaceSlow;
        var failures = ClipGolden.Prompts.Where(p => !hfSlow.EncodeOne(p.Text).SequenceEqual(p.HfSlowIds))
            .Select(p => $"#{p.Index}").ToList();
        Assert.True(failures.Count == 0, "differ: " + string.Join(", ", failures));
        // The one documented difference between the two cleanups (#75, "&amp;" next to a literal '<').
        Assert.NotEqual(OpenAi.EncodeOne(ClipGolden.Prompts[75].Text), hfSlow.EncodeOne(ClipGolden.Prompts[75].Text));
    }

    [Fact]
    public void FtfyRepairMatchesReferenceForAllPrompts()
    {
        var failures = ClipGolden.Prompts.Where(p => TextFixer.FixText(p.Text) != p.FtfyFixText)
            .Select(p => $"#{p.Index}: \"{TextFixer.FixText(p.Text)}\" != \"{p.FtfyFixText}\"").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void PaddedBatchEqualsHuggingFaceTensors()
    {
        // The HF tensors come from transformers' slow tokenizer, hence its cleanup (differs from OpenAI on #75 only).
        var hfSlow = SharedTokenizers.ClipHuggingFaceSlow;
        var reference = MiniSafetensors.ReadInt64(Path.Combine(ClipGolden.Folder, "clip_tokens.safetensors"));
        var batch = hfSlow.Encode(ClipGolden.Prompts.Select(p => p.Text).ToList());
        Assert.Equal(new[] { 100, 77 }, reference["hf_input_ids"].Shape);
        Assert.Equal(49407, hfSlow.PadId);
        Assert.Equal(reference["hf_input_ids"].Data, batch.Ids);
        Assert.Equal(reference["hf_attention_mask"].Data, batch.AttentionMask);
        Assert.Equal(ClipGolden.Prompts.Select(p => p.Truncated), batch.Truncated);

        var ids = batch.IdsTensor();
        Assert.Equal(new[] { 100, 77 }, ids.Shape);
        Assert.Equal(reference["hf_input_ids"].Data, ids.ToInt64Array());
        Assert.Equal(reference["hf_attention_mask"].Data, batch.AttentionMaskTensor().ToInt64Array());
    }

    [Fact]
    public void OpenAiVocabularyFilePadsWithZeroAndEqualsOpenAiTensor()
    {
        var openAi = ClipTokenizer.FromOpenAiBpeFile(Path.Combine(ClipGolden.VocabFolder, "bpe_simple_vocab_16e6.txt.gz"));
        Assert.Equal(0, openAi.PadId);
        Assert.Equal(OpenAi.Vocabulary.Tokens, openAi.Vocabulary.Tokens);
        Assert.Equal(OpenAi.Vocabulary.Merges, openAi.Vocabulary.Merges);
        var reference = MiniSafetensors.ReadInt64(Path.Combine(ClipGolden.Folder, "clip_tokens.safetensors"));
        var batch = openAi.Encode(ClipGolden.Prompts.Select(p => p.Text).ToList());
        Assert.Equal(reference["openai_input_ids"].Data, batch.Ids);
    }
}
