using System.Globalization;
using System.Text;
using Engine.Text.Unicode;

namespace Engine.Text.Bert;

/// <summary>
/// The pre-tokenizer of transformers' slow BertTokenizer: special tokens written in the text are kept whole;
/// everything else is lower-cased, cleaned (NUL, U+FFFD and control characters dropped, whitespace → space), CJK
/// ideographs are spaced out, NFC-normalised, split on whitespace, accent-stripped (NFD minus non-spacing marks)
/// and split around every punctuation character.
/// </summary>
public sealed class BertBasicTokenizer
{
    private readonly string[] _specialTokens;

    /// <param name="specialTokens">Tokens never split or lower-cased when they appear literally ([CLS], [MASK], …).</param>
    /// <param name="lowerCase">do_lower_case.</param>
    /// <param name="stripAccents">strip_accents; null = follow <paramref name="lowerCase"/> (BERT's default).</param>
    /// <param name="tokenizeChineseChars">tokenize_chinese_chars.</param>
    public BertBasicTokenizer(IEnumerable<string> specialTokens, bool lowerCase = true, bool? stripAccents = null,
        bool tokenizeChineseChars = true)
    {
        // Longest first, so that a special token containing another is preferred (a trie's longest match).
        _specialTokens = specialTokens.Where(t => t.Length > 0).Distinct().OrderByDescending(t => t.Length).ToArray();
        LowerCase = lowerCase;
        StripAccents = stripAccents ?? lowerCase;
        TokenizeChineseChars = tokenizeChineseChars;
    }

    public bool LowerCase { get; }
    public bool StripAccents { get; }
    public bool TokenizeChineseChars { get; }

    /// <summary>The words WordPiece sees; special tokens come through unchanged.</summary>
    public List<string> Tokenize(string text)
    {
        var output = new List<string>();
        foreach (var (chunk, isSpecial) in SplitOnSpecialTokens(text))
        {
            if (isSpecial) output.Add(chunk);
            else TokenizePlain(LowerCase ? PythonText.LowerPerCharacter(chunk) : chunk, output);
        }
        return output;
    }

    /// <summary>Whether <paramref name="token"/> is one of the special tokens.</summary>
    public bool IsSpecial(string token) => _specialTokens.Contains(token);

    private IEnumerable<(string Chunk, bool IsSpecial)> SplitOnSpecialTokens(string text)
    {
        int start = 0, i = 0;
        while (i < text.Length)
        {
            string? match = null;
            foreach (var s in _specialTokens)
                if (string.CompareOrdinal(text, i, s, 0, s.Length) == 0) { match = s; break; }
            if (match == null) { i++; continue; }
            if (i > start) yield return (text.Substring(start, i - start), false);
            yield return (match, true);
            i += match.Length;
            start = i;
        }
        if (start < text.Length) yield return (text.Substring(start), false);
    }

    private void TokenizePlain(string text, List<string> output)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (int cp in UnicodeNormalization.EnumerateRunesLenient(text))
        {
            if (cp == 0 || cp == 0xFFFD || IsControl(cp)) continue;
            if (IsWhitespace(cp)) { cleaned.Append(' '); continue; }
            if (TokenizeChineseChars && IsCjkIdeograph(cp))
            {
                cleaned.Append(' ');
                UnicodeNormalization.AppendCodePoint(cleaned, cp);
                cleaned.Append(' ');
                continue;
            }
            UnicodeNormalization.AppendCodePoint(cleaned, cp);
        }
        foreach (var word in SplitOnPythonWhitespace(UnicodeNormalization.Nfc(cleaned.ToString())))
        {
            string token = word;
            if (LowerCase) token = PythonText.LowerPerCharacter(token);
            if (StripAccents) token = RemoveNonSpacingMarks(UnicodeNormalization.Nfd(token));
            SplitOnPunctuation(token, output);
        }
    }

    private static void SplitOnPunctuation(string token, List<string> output)
    {
        var current = new StringBuilder();
        foreach (int cp in UnicodeNormalization.EnumerateRunesLenient(token))
        {
            if (IsPunctuation(cp))
            {
                if (current.Length > 0) { output.Add(current.ToString()); current.Clear(); }
                var p = new StringBuilder();
                UnicodeNormalization.AppendCodePoint(p, cp);
                output.Add(p.ToString());
            }
            else UnicodeNormalization.AppendCodePoint(current, cp);
        }
        // Python's whitespace_tokenize over the joined output drops empty pieces; a piece can only be empty here.
        if (current.Length > 0) output.Add(current.ToString());
    }

    /// <summary>Python's str.split() with no argument.</summary>
    internal static IEnumerable<string> SplitOnPythonWhitespace(string text)
    {
        var current = new StringBuilder();
        foreach (int cp in UnicodeNormalization.EnumerateRunesLenient(text))
        {
            if (PythonText.IsSpace(cp))
            {
                if (current.Length > 0) { yield return current.ToString(); current.Clear(); }
            }
            else UnicodeNormalization.AppendCodePoint(current, cp);
        }
        if (current.Length > 0) yield return current.ToString();
    }

    private static string RemoveNonSpacingMarks(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (int cp in UnicodeNormalization.EnumerateRunesLenient(text))
            if (cp is >= 0xD800 and <= 0xDFFF || PythonText.Category(cp) != UnicodeCategory.NonSpacingMark)
                UnicodeNormalization.AppendCodePoint(sb, cp);
        return sb.ToString();
    }

    /// <summary>BERT's whitespace: space, tab, newline, carriage return and category Zs.</summary>
    private static bool IsWhitespace(int cp) =>
        cp is ' ' or '\t' or '\n' or '\r' || (cp is < 0xD800 or > 0xDFFF && PythonText.Category(cp) == UnicodeCategory.SpaceSeparator);

    /// <summary>BERT's control: any C* category except tab, newline and carriage return.</summary>
    private static bool IsControl(int cp)
    {
        if (cp is '\t' or '\n' or '\r') return false;
        if (cp is >= 0xD800 and <= 0xDFFF) return true; // a lone surrogate is category Cs
        return PythonText.Category(cp) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>BERT's punctuation: the ASCII symbol ranges plus any P* category.</summary>
    private static bool IsPunctuation(int cp)
    {
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        if (cp is >= 0xD800 and <= 0xDFFF) return false;
        return PythonText.Category(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK Unified Ideograph blocks BERT spaces out (not Hiragana, Katakana or Hangul).</summary>
    private static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
