using System.Text;
using Engine.Text.Clip;
using Xunit;

namespace Engine.Text.Tests;

/// <summary>Truncation, padding, configuration, errors and a randomised check of the BPE against a naive reference.</summary>
public class ClipTokenizerBehaviourTests
{
    private static ClipTokenizer Tokenizer => SharedTokenizers.Clip;

    [Fact]
    public void LibraryBpeEqualsNaiveReferenceOnRandomText()
    {
        var reference = new ReferenceClipBpe(Tokenizer.Vocabulary);
        var rng = new Random(1234);
        string[] words = { "segment", "the", "liver", "hepatocellular", "carcinoma", "pneumothorax", "aaaa", "lllll",
            "mmmmmmmmmm", "ababab", "sssss", "zzz", "xray", "ct", "mri", "colonoscopy", "antidisestablishmentarianism" };
        const string symbols = "abcdefghijklmnopqrstuvwxyz0123456789 .,;:!?'-_()[]&#%@éèüöñçßαβγδ中文日本語한국어😀👍🏽🫀\u200b\u00ad";
        var runes = symbols.EnumerateRunes().Select(r => r.ToString()).ToArray();
        var failures = new List<string>();
        for (int n = 0; n < 1500; n++)
        {
            var sb = new StringBuilder();
            int parts = rng.Next(1, 8);
            for (int p = 0; p < parts; p++)
            {
                if (rng.Next(3) == 0) sb.Append(words[rng.Next(words.Length)]);
                else for (int k = rng.Next(1, 12); k > 0; k--) sb.Append(runes[rng.Next(runes.Length)]);
                if (rng.Next(2) == 0) sb.Append(' ');
            }
            string cleaned = Tokenizer.Clean(sb.ToString());
            var expected = reference.Encode(cleaned);
            var got = Tokenizer.Bpe.EncodeToIds(cleaned, considerPreTokenization: true, considerNormalization: false);
            if (!got.Select(i => (long)i).SequenceEqual(expected)) failures.Add(cleaned);
        }
        Assert.True(failures.Count == 0, $"{failures.Count} texts differ, e.g. \"{failures.FirstOrDefault()}\"");
    }

    [Theory]
    [InlineData(17)]
    [InlineData(22)]
    [InlineData(77)]
    public void TruncationKeepsEosAndPadsToContextLength(int contextLength)
    {
        var cris = Tokenizer.WithContextLength(contextLength).WithPadId(0);
        var longText = ClipGolden.Prompts[95].Text;
        var full = ClipGolden.Prompts[95].Ids; // already cut at 77
        var batch = cris.Encode(new[] { longText, "polyp" });
        Assert.Equal(contextLength, batch.SequenceLength);
        var row = batch.RowIds(0);
        Assert.Equal(contextLength, row.Length);
        Assert.Equal(full.Take(contextLength - 1), row.Take(contextLength - 1));
        Assert.Equal(49407, row[^1]);
        Assert.True(batch.Truncated[0]);
        Assert.False(batch.Truncated[1]);
        var polyp = ClipGolden.Prompts[2];
        Assert.Equal("polyp", polyp.Text);
        Assert.Equal(polyp.Ids, batch.RowIds(1));
        int n = polyp.Ids.Length;
        Assert.All(batch.Ids.Skip(contextLength + n), id => Assert.Equal(0, id));
        var padMask = batch.PaddingMaskTensor().ToInt64Array();
        Assert.Equal(0, padMask[contextLength + n - 1]);
        Assert.Equal(1, padMask[contextLength + n]);
    }

    [Fact]
    public void PadToLongestUsesLongestRow()
    {
        var batch = Tokenizer.Encode(new[] { "liver", "segment the liver" }, padToLongest: true);
        Assert.Equal(5, batch.SequenceLength);
        Assert.Equal(new long[] { 49406, 12639, 49407, 49407, 49407, 49406, 15615, 518, 12639, 49407 }, batch.Ids);
        Assert.Equal(new long[] { 1, 1, 1, 0, 0, 1, 1, 1, 1, 1 }, batch.AttentionMask);
        Assert.Null(batch.TokenTypeIds);
    }

    [Fact]
    public void ExplicitMaxLengthOverridesContextLength()
    {
        var ids = Tokenizer.EncodeOne("segment the liver in the abdominal region", maxLength: 4);
        Assert.Equal(new long[] { 49406, 15615, 518, 49407 }, ids);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodeOne("x", maxLength: 1));
    }

    [Fact]
    public void PadTokenAndLengthComeFromTokenizerConfig()
    {
        string dir = Path.Combine(Path.GetTempPath(), "engine-text-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var vocabulary = Tokenizer.Vocabulary;
            ClipTokenizer Load(ClipTokenizerOptions? o = null) => ClipTokenizer.Create(vocabulary, TokenizerConfig.Read(dir), o);
            Assert.Equal(49407, Load().PadId); // no config: eos
            Assert.Equal(77, Load().MaxLength);
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"model_max_length\": 22, \"pad_token\": \"!\"}");
            Assert.Equal(0, Load().PadId);
            Assert.Equal(22, Load().MaxLength);
            File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), "{\"pad_token\": {\"content\": \"<|endoftext|>\"}}");
            Assert.Equal(49407, Load().PadId);
            Assert.Equal(5, Load(new ClipTokenizerOptions { PadId = 5 }).PadId);
            Assert.Equal(17, Load(new ClipTokenizerOptions { ContextLength = 17 }).MaxLength);
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"model_max_length\": 1e30, \"pad_token\": \"<|no such token|>\"}");
            File.Delete(Path.Combine(dir, "special_tokens_map.json"));
            Assert.Null(TokenizerConfig.Read(dir).ModelMaxLength); // HF's "unlimited" marker
            var e = Assert.Throws<InvalidDataException>(() => Load());
            Assert.Contains("<|no such token|>", e.Message);
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{ not json");
            e = Assert.Throws<InvalidDataException>(() => Load());
            Assert.Contains("tokenizer_config.json", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void MissingOrBrokenFilesGiveClearErrors()
    {
        string dir = Path.Combine(Path.GetTempPath(), "engine-text-" + Guid.NewGuid().ToString("N"));
        Assert.Throws<DirectoryNotFoundException>(() => ClipTokenizer.FromFolder(dir));
        Directory.CreateDirectory(dir);
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("vocab.json", e.Message);
            File.WriteAllText(Path.Combine(dir, "vocab.json"), "[1,2]");
            File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\na b\n");
            var bad = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("vocab.json", bad.Message);
            File.WriteAllText(Path.Combine(dir, "vocab.json"), "{\"a\": 0}");
            bad = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("byte-level symbol", bad.Message);
            File.WriteAllText(Path.Combine(dir, "bogus.txt.gz"), "not gzip");
            bad = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromOpenAiBpeFile(Path.Combine(dir, "bogus.txt.gz")));
            Assert.Contains("bogus.txt.gz", bad.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        Assert.Throws<ArgumentException>(() => Tokenizer.Encode(Array.Empty<string>()));
    }

    [Fact]
    public void ConcurrentEncodingMatchesSequential()
    {
        var texts = ClipGolden.Prompts.Select(p => p.Text).ToArray();
        var expected = texts.Select(t => Tokenizer.EncodeOne(t)).ToArray();
        var results = new long[texts.Length][];
        Parallel.For(0, texts.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            results[i % texts.Length] = Tokenizer.EncodeOne(texts[i % texts.Length]);
        });
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], results[i]);
    }
}
