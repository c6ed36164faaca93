using Engine.Text.Bert;
using Xunit;

namespace Engine.Text.Tests;

/// <summary>Truncation rules, unknown words, special tokens, options and errors of the WordPiece tokenizer.</summary>
public class BertWordPieceBehaviourTests
{
    private static BertWordPieceTokenizer Tokenizer => SharedTokenizers.Bert;

    [Fact]
    public void SingleTextTruncationKeepsSep()
    {
        var ids = Tokenizer.EncodeOne("segment the liver and the spleen and the kidneys", maxLength: 5);
        Assert.Equal(5, ids.Length);
        Assert.Equal(Tokenizer.ClsId, ids[0]);
        Assert.Equal(Tokenizer.SepId, ids[^1]);
        Assert.Equal(Tokenizer.PieceIds("segment the liver"), ids.Skip(1).Take(3));
    }

    [Fact]
    public void PairTruncationIsLongestFirst()
    {
        // Pieces: a = 8 words, b = 3 words (each word here is one piece).
        string a = "the liver the spleen the kidney the heart", b = "the lung cancer";
        Assert.Equal(8, Tokenizer.PieceIds(a).Count);
        Assert.Equal(3, Tokenizer.PieceIds(b).Count);
        // Limit 3 + 7: remove 4 = all from the longer first part (8 → 4 > 3).
        var batch = Tokenizer.EncodePairs(new[] { a }, new[] { b }, maxLength: 10);
        var row = batch.RowIds(0);
        Assert.Equal(10, row.Length);
        Assert.Equal(Tokenizer.PieceIds("the liver the spleen"), row.Skip(1).Take(4));
        Assert.Equal(Tokenizer.PieceIds(b), row.Skip(6).Take(3));
        Assert.Equal(new long[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1 }, batch.TokenTypeIds!.Take(10));
        // Limit 3 + 4: remove 7: 5 from a to equalise (8 → 3), then 2 split 1/1 → a 2, b 2.
        row = Tokenizer.EncodePairs(new[] { a }, new[] { b }, maxLength: 7).RowIds(0);
        Assert.Equal(Tokenizer.PieceIds("the liver"), row.Skip(1).Take(2));
        Assert.Equal(Tokenizer.PieceIds("the lung"), row.Skip(4).Take(2));
        // Equal lengths (3 + 3), remove 3: 3 // 2 = 1 from the first, the other 2 from the second.
        row = Tokenizer.EncodePairs(new[] { "the liver the" }, new[] { "the lung the" }, maxLength: 6).RowIds(0);
        Assert.Equal(6, row.Length);
        Assert.Equal(Tokenizer.PieceIds("the liver"), row.Skip(1).Take(2));
        Assert.Equal(Tokenizer.SepId, row[3]);
        Assert.Equal(Tokenizer.PieceIds("the"), row.Skip(4).Take(1));
        Assert.True(Tokenizer.EncodePairs(new[] { a }, new[] { b }, maxLength: 7).Truncated[0]);
    }

    [Fact]
    public void OverlongAndUncoverableWordsBecomeUnk()
    {
        string longWord = new string('a', 101);
        Assert.Equal(new[] { Tokenizer.UnkId }, Tokenizer.PieceIds(longWord));
        Assert.NotEqual(new[] { Tokenizer.UnkId }, Tokenizer.PieceIds(new string('a', 100)));
        // 100 code points that are 200 UTF-16 units: still within Python's limit of 100 characters.
        string astral = string.Concat(Enumerable.Repeat("\U0001D400", 100));
        Assert.Equal(new[] { Tokenizer.UnkId }, Tokenizer.PieceIds(astral)); // not in the vocabulary either way
        Assert.Equal(new[] { Tokenizer.UnkId }, Tokenizer.PieceIds("كبد"));
    }

    [Fact]
    public void SpecialTokensAreKeptOnlyWhenWrittenExactly()
    {
        Assert.Equal(new[] { "[MASK]", "is" }, Tokenizer.Tokens("[MASK] is"));
        Assert.Equal(new[] { "[", "mask", "]" }, Tokenizer.Tokens("[mask]"));
        Assert.Equal(new[] { "liver", "[SEP]", "spleen" }, Tokenizer.Tokens("Liver[SEP]Spleen"));
    }

    [Fact]
    public void PadToLongestAndTensors()
    {
        var batch = Tokenizer.Encode(new[] { "liver", "segment the liver" }, padToLongest: true);
        Assert.Equal(5, batch.SequenceLength);
        Assert.Equal(new long[] { 1, 1, 1, 0, 0, 1, 1, 1, 1, 1 }, batch.AttentionMask);
        Assert.Equal(Tokenizer.PadId, batch.Ids[3]);
        Assert.Equal(new[] { 2, 5 }, batch.TokenTypeIdsTensor().Shape);
        Assert.Equal(256, Tokenizer.MaxLength);
        Assert.Equal(30522, Tokenizer.VocabularySize);
    }

    [Fact]
    public void OptionsAndErrors()
    {
        string dir = Path.Combine(Path.GetTempPath(), "engine-bert-" + Guid.NewGuid().ToString("N"));
        Assert.Throws<DirectoryNotFoundException>(() => BertWordPieceTokenizer.FromFolder(dir));
        Directory.CreateDirectory(dir);
        try
        {
            Assert.Contains("vocab.txt", Assert.Throws<FileNotFoundException>(() => BertWordPieceTokenizer.FromFolder(dir)).Message);
            File.WriteAllLines(Path.Combine(dir, "vocab.txt"), new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Café", "cafe", "##s" });
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"do_lower_case\": false, \"model_max_length\": 16}");
            var cased = BertWordPieceTokenizer.FromFolder(dir);
            Assert.Equal(16, cased.MaxLength);
            Assert.Equal(new long[] { 2, 5, 3 }, cased.EncodeOne("Café"));     // no lower-casing, no accent stripping
            Assert.Equal(new long[] { 2, 6, 7, 3 }, cased.EncodeOne("cafes"));
            var uncased = BertWordPieceTokenizer.FromFolder(dir, new BertTokenizerOptions { LowerCase = true });
            Assert.Equal(new long[] { 2, 6, 3 }, uncased.EncodeOne("Café"));   // lower + strip accents
            var keepAccents = BertWordPieceTokenizer.FromFolder(dir, new BertTokenizerOptions { LowerCase = true, StripAccents = false });
            Assert.Equal(new long[] { 2, 1, 3 }, keepAccents.EncodeOne("Café")); // "café" is not in the vocabulary
            File.WriteAllLines(Path.Combine(dir, "vocab.txt"), new[] { "[PAD]", "[UNK]", "[CLS]" });
            var e = Assert.Throws<InvalidDataException>(() => BertWordPieceTokenizer.FromFolder(dir));
            Assert.Contains("[SEP]", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        Assert.Throws<ArgumentException>(() => Tokenizer.EncodePairs(new[] { "a" }, new[] { "b", "c" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodePairs(new[] { "a" }, new[] { "b" }, maxLength: 2));
    }
}
