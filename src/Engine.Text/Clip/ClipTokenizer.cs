using Microsoft.ML.Tokenizers;

namespace Engine.Text.Clip;

/// <summary>
/// CLIP's byte-level BPE tokenizer (OpenAI simple_tokenizer / transformers CLIPTokenizer semantics): text cleanup
/// (<see cref="ClipTextNormalizer"/>), CLIP's pre-tokenisation (<see cref="ClipPreTokenizer"/>), byte-level BPE
/// with the "&lt;/w&gt;" end-of-word suffix (Microsoft.ML.Tokenizers <see cref="BpeTokenizer"/>), then
/// &lt;|startoftext|&gt; … &lt;|endoftext|&gt;, truncation that keeps the eos, padding and attention mask.
/// Immutable and safe to share between threads.
/// </summary>
public sealed class ClipTokenizer : ITextTokenizer
{
    /// <summary>CLIP's context length.</summary>
    public const int DefaultContextLength = 77;

    private ClipTokenizer(ClipVocabulary vocabulary, ClipTextNormalizer normalizer, int contextLength, long padId)
    {
        Vocabulary = vocabulary;
        Normalizer = normalizer;
        MaxLength = contextLength;
        PadId = padId;
        BosId = vocabulary.IdOf(ClipPreTokenizer.StartOfText);
        EosId = vocabulary.IdOf(ClipPreTokenizer.EndOfText);
    }

    /// <summary>The vocabulary and merges.</summary>
    public ClipVocabulary Vocabulary { get; }

    /// <summary>
    /// The underlying Microsoft.ML.Tokenizers BPE tokenizer (CLIP pre-tokenizer attached, no normalizer): encodes
    /// <see cref="Clean"/>ed text to BPE ids without bos/eos.
    /// </summary>
    public BpeTokenizer Bpe => Vocabulary.Bpe;

    /// <summary>The text cleanup in use.</summary>
    public ClipTextNormalizer Normalizer { get; }

    /// <summary>Id of &lt;|startoftext|&gt; (49406 in CLIP's vocabulary).</summary>
    public long BosId { get; }

    /// <summary>Id of &lt;|endoftext|&gt; (49407 in CLIP's vocabulary).</summary>
    public long EosId { get; }

    /// <inheritdoc />
    public long PadId { get; }

    /// <inheritdoc />
    public int MaxLength { get; }

    /// <inheritdoc />
    public int VocabularySize => Vocabulary.Tokens.Count;

    /// <summary>
    /// Loads a Hugging Face CLIP tokenizer folder: vocab.json + merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz
    /// when those are absent; optional tokenizer_config.json / special_tokens_map.json set pad token and length.
    /// </summary>
    public static ClipTokenizer FromFolder(string folder, ClipTokenizerOptions? options = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Tokenizer folder not found: '{folder}'.");
        string vocabJson = Path.Combine(folder, "vocab.json"), merges = Path.Combine(folder, "merges.txt");
        string openAi = Path.Combine(folder, "bpe_simple_vocab_16e6.txt.gz");
        ClipVocabulary vocabulary;
        if (File.Exists(vocabJson) || File.Exists(merges)) vocabulary = ClipVocabulary.FromHuggingFaceFiles(vocabJson, merges);
        else if (File.Exists(openAi)) vocabulary = ClipVocabulary.FromOpenAiBpeFile(openAi);
        else
            throw new FileNotFoundException(
                $"No CLIP tokenizer in '{folder}': expected vocab.json + merges.txt or bpe_simple_vocab_16e6.txt.gz.");
        return Create(vocabulary, TokenizerConfig.Read(folder), options);
    }

    /// <summary>Loads vocab.json + merges.txt given as paths (no config files are read).</summary>
    public static ClipTokenizer FromFiles(string vocabJsonPath, string mergesTxtPath, ClipTokenizerOptions? options = null) =>
        Create(ClipVocabulary.FromHuggingFaceFiles(vocabJsonPath, mergesTxtPath), new TokenizerConfig(), options);

    /// <summary>
    /// Loads OpenAI's bpe_simple_vocab_16e6.txt.gz. Padding defaults to 0 here, as in OpenAI's clip.tokenize (and CRIS).
    /// </summary>
    public static ClipTokenizer FromOpenAiBpeFile(string gzPath, ClipTokenizerOptions? options = null)
    {
        options ??= new ClipTokenizerOptions();
        return Create(ClipVocabulary.FromOpenAiBpeFile(gzPath), new TokenizerConfig(), options with { PadId = options.PadId ?? 0 });
    }

    /// <summary>Builds a tokenizer from a loaded vocabulary.</summary>
    public static ClipTokenizer Create(ClipVocabulary vocabulary, TokenizerConfig config, ClipTokenizerOptions? options = null)
    {
        options ??= new ClipTokenizerOptions();
        int contextLength = options.ContextLength ?? config.ModelMaxLength ?? DefaultContextLength;
        if (contextLength < 2) throw new ArgumentOutOfRangeException(nameof(options), $"CLIP context length must be >= 2, got {contextLength}.");
        long padId = options.PadId
            ?? (config.PadToken != null ? vocabulary.IdOf(config.PadToken) : vocabulary.IdOf(ClipPreTokenizer.EndOfText));
        if (padId < 0 || padId >= vocabulary.Tokens.Count)
            throw new ArgumentOutOfRangeException(nameof(options), $"Pad id {padId} is outside the vocabulary (size {vocabulary.Tokens.Count}).");
        return new ClipTokenizer(vocabulary, new ClipTextNormalizer(options.Cleanup), contextLength, padId);
    }

    /// <summary>A copy with another context length (e.g. CRIS word_len 17 or 22).</summary>
    public ClipTokenizer WithContextLength(int contextLength) =>
        contextLength >= 2
            ? new ClipTokenizer(Vocabulary, Normalizer, contextLength, PadId)
            : throw new ArgumentOutOfRangeException(nameof(contextLength), $"CLIP context length must be >= 2, got {contextLength}.");

    /// <summary>A copy that pads with <paramref name="padId"/> (0 for OpenAI/CRIS, eos for HF CLIP).</summary>
    public ClipTokenizer WithPadId(long padId) =>
        padId >= 0 && padId < VocabularySize
            ? new ClipTokenizer(Vocabulary, Normalizer, MaxLength, padId)
            : throw new ArgumentOutOfRangeException(nameof(padId), $"Pad id {padId} is outside the vocabulary (size {VocabularySize}).");

    /// <summary>The cleaned text the BPE sees (ftfy-style repair, HTML unescape, whitespace, lower-case).</summary>
    public string Clean(string text) => Normalizer.Normalize(text ?? throw new ArgumentNullException(nameof(text)));

    /// <summary>BPE token strings of <paramref name="text"/> without bos/eos ("&lt;/w&gt;" marks word ends).</summary>
    public IReadOnlyList<string> Tokens(string text) =>
        Bpe.EncodeToTokens(Clean(text), out _, considerPreTokenization: true, considerNormalization: false)
            .Select(t => t.Value).ToList();

    /// <inheritdoc />
    public long[] EncodeOne(string text, int? maxLength = null) => EncodeRow(text, maxLength ?? MaxLength, out _);

    /// <inheritdoc />
    public TokenizedBatch Encode(IReadOnlyList<string> texts, int? maxLength = null, bool padToLongest = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("Nothing to tokenize: the list of texts is empty.", nameof(texts));
        int limit = maxLength ?? MaxLength;
        var rows = new long[texts.Count][];
        var truncated = new bool[texts.Count];
        for (int b = 0; b < texts.Count; b++) rows[b] = EncodeRow(texts[b], limit, out truncated[b]);
        int length = padToLongest ? rows.Max(r => r.Length) : limit;
        var ids = new long[texts.Count * length];
        var mask = new long[ids.Length];
        Array.Fill(ids, PadId);
        for (int b = 0; b < rows.Length; b++)
        {
            rows[b].CopyTo(ids, b * length);
            mask.AsSpan(b * length, rows[b].Length).Fill(1);
        }
        return new TokenizedBatch(ids, mask, null, texts.Count, length, truncated);
    }

    private long[] EncodeRow(string text, int limit, out bool truncated)
    {
        ArgumentNullException.ThrowIfNull(text, nameof(text));
        if (limit < 2) throw new ArgumentOutOfRangeException(nameof(limit), $"Maximum length must be >= 2 (bos + eos), got {limit}.");
        var bpe = Bpe.EncodeToIds(Clean(text), considerPreTokenization: true, considerNormalization: false);
        int kept = Math.Min(bpe.Count, limit - 2);
        truncated = kept < bpe.Count;
        var row = new long[kept + 2];
        row[0] = BosId;
        for (int i = 0; i < kept; i++) row[i + 1] = bpe[i];
        row[kept + 1] = EosId;
        return row;
    }
}
