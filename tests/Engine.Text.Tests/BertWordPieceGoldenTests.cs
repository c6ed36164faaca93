using System.Text.Json;
using Engine.Text.Bert;
using Xunit;

namespace Engine.Text.Tests;

/// <summary>
/// shared/golden/bert_wordpiece: transformers 4.40.2 slow BertTokenizer with the BiomedBERT uncased vocabulary,
/// 100 prompts and 5 pairs, max_length 256 — ids, wordpieces, basic tokens and padded tensors must match exactly.
/// </summary>
public class BertWordPieceGoldenTests
{
    private static string Folder => TestPaths.SharedPath("golden", "bert_wordpiece");
    private static BertWordPieceTokenizer Tokenizer => SharedTokenizers.Bert;
    private static readonly JsonDocument Golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "wordpiece_tokens.json")));

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();
    private static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();

    [Fact]
    public void AllPromptsMatchIdsTokensAndBasicTokens()
    {
        var failures = new List<string>();
        int count = 0;
        foreach (var p in Golden.RootElement.GetProperty("prompts").EnumerateArray())
        {
            count++;
            string text = p.GetProperty("text").GetString()!;
            int index = p.GetProperty("index").GetInt32();
            var ids = Tokenizer.EncodeOne(text);
            if (!ids.SequenceEqual(Longs(p.GetProperty("ids"))))
                failures.Add($"#{index} ids [{string.Join(",", ids)}] expected [{string.Join(",", Longs(p.GetProperty("ids")))}]");
            var basic = Tokenizer.Basic.Tokenize(text);
            if (!basic.SequenceEqual(Strings(p.GetProperty("basic_tokens"))))
                failures.Add($"#{index} basic [{string.Join(" ", basic)}]");
            if (!p.GetProperty("truncated").GetBoolean())
            {
                var tokens = Tokenizer.Tokens(text);
                var expected = Strings(p.GetProperty("tokens"));
                if (!tokens.SequenceEqual(expected.Skip(1).Take(expected.Length - 2)))
                    failures.Add($"#{index} tokens [{string.Join(" ", tokens)}]");
            }
        }
        Assert.Equal(100, count);
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void AllPairsMatchIdsAndTokenTypes()
    {
        var pairs = Golden.RootElement.GetProperty("pairs").EnumerateArray().ToList();
        Assert.Equal(5, pairs.Count);
        var batch = Tokenizer.EncodePairs(pairs.Select(p => p.GetProperty("text").GetString()!).ToList(),
            pairs.Select(p => p.GetProperty("text_pair").GetString()!).ToList(), padToLongest: true);
        for (int b = 0; b < pairs.Count; b++)
        {
            var expectedIds = Longs(pairs[b].GetProperty("ids"));
            Assert.Equal(expectedIds, batch.RowIds(b));
            var types = batch.TokenTypeIds!.AsSpan(b * batch.SequenceLength, expectedIds.Length).ToArray();
            Assert.Equal(Longs(pairs[b].GetProperty("token_type_ids")), types);
        }
    }

    [Fact]
    public void PaddedTensorsEqualReference()
    {
        var reference = MiniSafetensors.ReadInt64(Path.Combine(Folder, "wordpiece_tokens.safetensors"));
        var texts = Golden.RootElement.GetProperty("prompts").EnumerateArray().Select(p => p.GetProperty("text").GetString()!).ToList();
        var batch = Tokenizer.Encode(texts);
        Assert.Equal(256, batch.SequenceLength);
        Assert.Equal(reference["input_ids"].Data, batch.Ids);
        Assert.Equal(reference["attention_mask"].Data, batch.AttentionMask);
        Assert.Equal(reference["token_type_ids"].Data, batch.TokenTypeIds);
        Assert.Equal(new[] { 100, 256 }, batch.IdsTensor().Shape);
        Assert.Equal(reference["input_ids"].Data, batch.IdsTensor().ToInt64Array());

        var pairs = Golden.RootElement.GetProperty("pairs").EnumerateArray().ToList();
        var pairBatch = Tokenizer.EncodePairs(pairs.Select(p => p.GetProperty("text").GetString()!).ToList(),
            pairs.Select(p => p.GetProperty("text_pair").GetString()!).ToList());
        Assert.Equal(reference["pairs.input_ids"].Data, pairBatch.Ids);
        Assert.Equal(reference["pairs.attention_mask"].Data, pairBatch.AttentionMask);
        Assert.Equal(reference["pairs.token_type_ids"].Data, pairBatch.TokenTypeIds);
        Assert.Equal(reference["pairs.token_type_ids"].Data, pairBatch.TokenTypeIdsTensor().ToInt64Array());
    }
}
