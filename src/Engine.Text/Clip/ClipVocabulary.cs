using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Engine.Text.Clip;

/// <summary>CLIP's BPE vocabulary (token → id) and merge list, read from the Hugging Face or the OpenAI file layout.</summary>
public sealed class ClipVocabulary
{
    private readonly Lazy<BpeTokenizer> _bpe;

    private ClipVocabulary(Dictionary<string, int> tokens, List<string> merges, string source)
    {
        Tokens = tokens;
        Merges = merges;
        Source = source;
        _bpe = new Lazy<BpeTokenizer>(CreateBpe);
    }

    /// <summary>
    /// The Microsoft.ML.Tokenizers byte-level BPE over this vocabulary with CLIP's pre-tokenizer and "&lt;/w&gt;"
    /// suffix, built once and shared by every <see cref="ClipTokenizer"/> made from this vocabulary (building it is
    /// the expensive part of loading). It expects already cleaned text (<see cref="ClipTokenizer.Clean"/>) and adds no
    /// bos/eos.
    /// </summary>
    public BpeTokenizer Bpe => _bpe.Value;

    private BpeTokenizer CreateBpe()
    {
        var specials = new Dictionary<string, int>
        {
            [ClipPreTokenizer.StartOfText] = IdOf(ClipPreTokenizer.StartOfText),
            [ClipPreTokenizer.EndOfText] = IdOf(ClipPreTokenizer.EndOfText),
        };
        return BpeTokenizer.Create(new BpeOptions(Tokens)
        {
            Merges = Merges,
            ByteLevel = true,
            EndOfWordSuffix = "</w>",
            PreTokenizer = ClipPreTokenizer.Instance,
            SpecialTokens = specials,
        });
    }

    /// <summary>Token string → id.</summary>
    public IReadOnlyDictionary<string, int> Tokens { get; }

    /// <summary>Merges "left right" in rank order (rank 0 first).</summary>
    public IReadOnlyList<string> Merges { get; }

    /// <summary>Where the vocabulary was read from (for error messages).</summary>
    public string Source { get; }

    /// <summary>Reads vocab.json ({token: id}) and merges.txt ("#version" header, then "left right" per line).</summary>
    public static ClipVocabulary FromHuggingFaceFiles(string vocabJsonPath, string mergesTxtPath)
    {
        RequireFile(vocabJsonPath, "CLIP vocabulary (vocab.json)");
        RequireFile(mergesTxtPath, "CLIP merges (merges.txt)");
        Dictionary<string, int> tokens;
        try
        {
            using var stream = File.OpenRead(vocabJsonPath);
            tokens = JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
                ?? throw new InvalidDataException("the file holds JSON null");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
        {
            throw new InvalidDataException($"'{vocabJsonPath}' is not a JSON object of token → id: {e.Message}", e);
        }
        var merges = new List<string>();
        int lineNumber = 0;
        foreach (var raw in File.ReadLines(mergesTxtPath, Encoding.UTF8))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r');
            if (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)) continue;
            if (line.Length == 0) continue;
            if (line.Split(' ').Length != 2)
                throw new InvalidDataException($"'{mergesTxtPath}' line {lineNumber}: expected \"left right\", got \"{line}\".");
            merges.Add(line);
        }
        var vocab = new ClipVocabulary(tokens, merges, vocabJsonPath);
        vocab.Validate();
        return vocab;
    }

    /// <summary>
    /// Reads OpenAI's bpe_simple_vocab_16e6.txt.gz: the first 48,894 merges after its header line define the
    /// vocabulary (256 byte symbols, the same with "&lt;/w&gt;", one token per merge, then the two special tokens).
    /// </summary>
    public static ClipVocabulary FromOpenAiBpeFile(string gzPath)
    {
        RequireFile(gzPath, "CLIP BPE merges (bpe_simple_vocab_16e6.txt.gz)");
        const int mergeCount = 49152 - 256 - 2;
        var merges = new List<string>(mergeCount);
        try
        {
            using var gz = new GZipStream(File.OpenRead(gzPath), CompressionMode.Decompress);
            using var reader = new StreamReader(gz, Encoding.UTF8);
            reader.ReadLine(); // header
            string? line;
            while (merges.Count < mergeCount && (line = reader.ReadLine()) != null) merges.Add(line);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{gzPath}' is not a gzip file: {e.Message}", e);
        }
        if (merges.Count < mergeCount)
            throw new InvalidDataException($"'{gzPath}' holds {merges.Count} merges; CLIP needs {mergeCount}.");
        var tokens = new Dictionary<string, int>();
        var symbols = ByteLevelAlphabet.Symbols;
        foreach (var s in symbols) tokens[s.ToString()] = tokens.Count;
        foreach (var s in symbols) tokens[s + "</w>"] = tokens.Count;
        foreach (var m in merges)
        {
            var parts = m.Split(' ');
            if (parts.Length != 2) throw new InvalidDataException($"'{gzPath}': malformed merge \"{m}\".");
            tokens[parts[0] + parts[1]] = tokens.Count;
        }
        tokens[ClipPreTokenizer.StartOfText] = tokens.Count;
        tokens[ClipPreTokenizer.EndOfText] = tokens.Count;
        var vocab = new ClipVocabulary(tokens, merges, gzPath);
        vocab.Validate();
        return vocab;
    }

    /// <summary>Id of a token, with an error naming the vocabulary when it is absent.</summary>
    public int IdOf(string token) => Tokens.TryGetValue(token, out int id)
        ? id
        : throw new InvalidDataException($"Token \"{token}\" is not in the CLIP vocabulary '{Source}'.");

    private void Validate()
    {
        // Every byte symbol must be present (with and without "</w>"), otherwise some input would have no encoding.
        foreach (var s in ByteLevelAlphabet.Symbols)
        {
            if (!Tokens.ContainsKey(s.ToString()) || !Tokens.ContainsKey(s + "</w>"))
                throw new InvalidDataException(
                    $"CLIP vocabulary '{Source}' lacks the byte-level symbol U+{(int)s:X4} (plain or with </w>).");
        }
        foreach (var m in Merges)
        {
            var parts = m.Split(' ');
            if (!Tokens.ContainsKey(parts[0] + parts[1]))
                throw new InvalidDataException($"CLIP vocabulary '{Source}' has no token for merge \"{m}\".");
        }
    }

    private static void RequireFile(string path, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} not found: '{path}'.", path);
    }
}
