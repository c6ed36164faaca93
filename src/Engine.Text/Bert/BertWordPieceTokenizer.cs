using System.Text;
using Microsoft.ML.Tokenizers;

namespace Engine.Text.Bert;

/// <summary>
/// BERT WordPiece tokenizer with transformers' slow BertTokenizer semantics (BiomedCLIP's PubMedBERT text tower):
/// <see cref="BertBasicTokenizer"/> pre-tokenisation, greedy longest-match-first WordPiece with "##" continuations
/// (Microsoft.ML.Tokenizers <see cref="WordPieceTokenizer"/>), [CLS] a [SEP] (b [SEP]), longest-first truncation,
/// padding with [PAD], attention mask and token type ids. Immutable and safe to share between threads.
/// </summary>
public sealed class BertWordPieceTokenizer : ITextTokenizer
{
    /// <summary>BiomedCLIP's context length.</summary>
    public const int DefaultMaxLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _idToToken;
    private readonly WordPieceTokenizer _wordPiece;
    private readonly int _maxInputCharsPerWord;

    private BertWordPieceTokenizer(Dictionary<string, int> vocab, string[] idToToken, WordPieceTokenizer wordPiece,
        BertBasicTokenizer basic, int maxLength, int maxInputCharsPerWord, string source, (long Cls, long Sep, long Pad, long Unk) ids)
    {
        _vocab = vocab;
        _idToToken = idToToken;
        _wordPiece = wordPiece;
        _maxInputCharsPerWord = maxInputCharsPerWord;
        Basic = basic;
        MaxLength = maxLength;
        Source = source;
        (ClsId, SepId, PadId, UnkId) = ids;
    }

    /// <summary>The pre-tokenizer in use.</summary>
    public BertBasicTokenizer Basic { get; }

    /// <summary>Where the vocabulary came from.</summary>
    public string Source { get; }

    public long ClsId { get; }
    public long SepId { get; }
    public long UnkId { get; }

    /// <inheritdoc />
    public long PadId { get; }

    /// <inheritdoc />
    public int MaxLength { get; }

    /// <inheritdoc />
    public int VocabularySize => _idToToken.Length;

    /// <summary>Loads vocab.txt (+ optional tokenizer_config.json / special_tokens_map.json) from a model folder.</summary>
    public static BertWordPieceTokenizer FromFolder(string folder, BertTokenizerOptions? options = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Tokenizer folder not found: '{folder}'.");
        string vocab = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(vocab)) throw new FileNotFoundException($"No BERT vocabulary (vocab.txt) in '{folder}'.", vocab);
        return Create(vocab, TokenizerConfig.Read(folder), options);
    }

    /// <summary>Loads a vocab.txt (one token per line, id = line number) without config files.</summary>
    public static BertWordPieceTokenizer FromVocabFile(string vocabTxtPath, BertTokenizerOptions? options = null)
    {
        if (!File.Exists(vocabTxtPath)) throw new FileNotFoundException($"BERT vocabulary not found: '{vocabTxtPath}'.", vocabTxtPath);
        return Create(vocabTxtPath, new TokenizerConfig(), options);
    }

    private static BertWordPieceTokenizer Create(string vocabPath, TokenizerConfig config, BertTokenizerOptions? options)
    {
        options ??= new BertTokenizerOptions();
        var lines = File.ReadAllLines(vocabPath, Encoding.UTF8);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var idToToken = new string[lines.Length];
        for (int i = 0; i < lines.Length; i++) vocab[idToToken[i] = lines[i].TrimEnd('\r')] = i;
        if (vocab.Count == 0) throw new InvalidDataException($"BERT vocabulary '{vocabPath}' is empty.");
        int IdOf(string token) => vocab.TryGetValue(token, out int id)
            ? id
            : throw new InvalidDataException($"Special token \"{token}\" is not in the BERT vocabulary '{vocabPath}'.");
        int maxLength = options.MaxLength ?? config.ModelMaxLength ?? DefaultMaxLength;
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(options), $"BERT max length must be >= 2, got {maxLength}.");
        bool lower = options.LowerCase ?? config.DoLowerCase ?? true;
        var specials = new[] { config.UnkToken ?? "[UNK]", config.SepToken ?? "[SEP]", config.PadToken ?? "[PAD]",
            config.ClsToken ?? "[CLS]", config.MaskToken ?? "[MASK]" };
        var basic = new BertBasicTokenizer(specials, lower, options.StripAccents ?? config.StripAccents,
            options.TokenizeChineseChars ?? config.TokenizeChineseChars ?? true);
        // WordPiece gets one basic token at a time, so its own pre-tokenizer/normalizer are not used; the word-length
        // limit is enforced here in code points (Python's len), so the library's (UTF-16) limit is set out of the way.
        var wpOptions = new WordPieceOptions
        {
            UnknownToken = config.UnkToken ?? "[UNK]",
            ContinuingSubwordPrefix = "##",
            MaxInputCharsPerWord = int.MaxValue / 4,
        };
        WordPieceTokenizer wordPiece;
        using (var stream = File.OpenRead(vocabPath)) wordPiece = WordPieceTokenizer.Create(stream, wpOptions);
        var ids = (IdOf(config.ClsToken ?? "[CLS]"), IdOf(config.SepToken ?? "[SEP]"), IdOf(config.PadToken ?? "[PAD]"),
            IdOf(config.UnkToken ?? "[UNK]"));
        return new BertWordPieceTokenizer(vocab, idToToken, wordPiece, basic, maxLength, options.MaxInputCharsPerWord, vocabPath, ids);
    }

    /// <summary>A copy with another maximum length.</summary>
    public BertWordPieceTokenizer WithMaxLength(int maxLength) => maxLength >= 2
        ? new BertWordPieceTokenizer(_vocab, _idToToken, _wordPiece, Basic, maxLength, _maxInputCharsPerWord, Source,
            (ClsId, SepId, PadId, UnkId))
        : throw new ArgumentOutOfRangeException(nameof(maxLength), $"BERT max length must be >= 2, got {maxLength}.");

    /// <summary>The vocabulary string of an id.</summary>
    public string TokenOf(long id) => id >= 0 && id < _idToToken.Length
        ? _idToToken[id]
        : throw new ArgumentOutOfRangeException(nameof(id), $"Id {id} is outside the BERT vocabulary (size {_idToToken.Length}).");

    /// <summary>The wordpieces of <paramref name="text"/> without [CLS]/[SEP].</summary>
    public List<string> Tokens(string text) => PieceIds(text).Select(TokenOf).ToList();

    /// <summary>The wordpiece ids of <paramref name="text"/> without [CLS]/[SEP] and without truncation.</summary>
    public List<long> PieceIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<long>();
        foreach (var word in Basic.Tokenize(text))
        {
            if (Basic.IsSpecial(word) && _vocab.TryGetValue(word, out int specialId)) { ids.Add(specialId); continue; }
            if (word.EnumerateRunes().Count() > _maxInputCharsPerWord) { ids.Add(UnkId); continue; }
            foreach (var id in _wordPiece.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false))
                ids.Add(id);
        }
        return ids;
    }

    /// <inheritdoc />
    public long[] EncodeOne(string text, int? maxLength = null) => BuildRow(PieceIds(text), null, maxLength ?? MaxLength, out _, out _);

    /// <inheritdoc />
    public TokenizedBatch Encode(IReadOnlyList<string> texts, int? maxLength = null, bool padToLongest = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return EncodeCore(texts, null, maxLength, padToLongest);
    }

    /// <summary>Tokenizes sentence pairs: [CLS] a [SEP] b [SEP], token type 0 for the first part and 1 for the second.</summary>
    public TokenizedBatch EncodePairs(IReadOnlyList<string> first, IReadOnlyList<string> second, int? maxLength = null,
        bool padToLongest = false)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != second.Count)
            throw new ArgumentException($"Pair lists differ in length: {first.Count} first texts, {second.Count} second texts.");
        return EncodeCore(first, second, maxLength, padToLongest);
    }

    private TokenizedBatch EncodeCore(IReadOnlyList<string> first, IReadOnlyList<string>? second, int? maxLength, bool padToLongest)
    {
        if (first.Count == 0) throw new ArgumentException("Nothing to tokenize: the list of texts is empty.", nameof(first));
        int limit = maxLength ?? MaxLength;
        var rows = new long[first.Count][];
        var types = new long[first.Count][];
        var truncated = new bool[first.Count];
        for (int b = 0; b < first.Count; b++)
            rows[b] = BuildRow(PieceIds(first[b]), second == null ? null : PieceIds(second[b]), limit, out types[b], out truncated[b]);
        int length = padToLongest ? rows.Max(r => r.Length) : limit;
        var ids = new long[first.Count * length];
        var mask = new long[ids.Length];
        var typeIds = new long[ids.Length];
        Array.Fill(ids, PadId);
        for (int b = 0; b < rows.Length; b++)
        {
            rows[b].CopyTo(ids, b * length);
            types[b].CopyTo(typeIds, b * length);
            mask.AsSpan(b * length, rows[b].Length).Fill(1);
        }
        return new TokenizedBatch(ids, mask, typeIds, first.Count, length, truncated);
    }

    private long[] BuildRow(List<long> a, List<long>? b, int limit, out long[] typeIds, out bool truncated)
    {
        int specials = b == null ? 2 : 3;
        if (limit < specials) throw new ArgumentOutOfRangeException(nameof(limit), $"Maximum length {limit} cannot hold the {specials} special tokens.");
        int excess = a.Count + (b?.Count ?? 0) + specials - limit;
        truncated = excess > 0;
        if (excess > 0) TruncateLongestFirst(a, b, excess);
        var row = new List<long>(limit) { ClsId };
        row.AddRange(a);
        row.Add(SepId);
        int firstLength = row.Count;
        if (b != null)
        {
            row.AddRange(b);
            row.Add(SepId);
        }
        typeIds = new long[row.Count];
        for (int i = firstLength; i < row.Count; i++) typeIds[i] = 1;
        return row.ToArray();
    }

    /// <summary>
    /// transformers' "longest_first" truncation from the right: first trims the longer part down to the shorter,
    /// then takes the rest from both, half each (the extra one from the second part when they tie).
    /// </summary>
    private static void TruncateLongestFirst(List<long> a, List<long>? b, int remove)
    {
        if (b == null)
        {
            a.RemoveRange(a.Count - Math.Min(remove, a.Count), Math.Min(remove, a.Count));
            return;
        }
        int firstRemove = Math.Min(Math.Abs(b.Count - a.Count), remove);
        int secondRemove = remove - firstRemove;
        int fromA, fromB;
        if (a.Count > b.Count)
        {
            fromA = firstRemove + secondRemove / 2;
            fromB = secondRemove - secondRemove / 2;
        }
        else
        {
            fromA = secondRemove / 2;
            fromB = firstRemove + secondRemove - secondRemove / 2;
        }
        a.RemoveRange(a.Count - Math.Min(fromA, a.Count), Math.Min(fromA, a.Count));
        b.RemoveRange(b.Count - Math.Min(fromB, b.Count), Math.Min(fromB, b.Count));
    }
}
