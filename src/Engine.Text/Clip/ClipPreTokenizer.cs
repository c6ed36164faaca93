using Engine.Text.Unicode;
using Microsoft.ML.Tokenizers;

namespace Engine.Text.Clip;

/// <summary>
/// CLIP's pre-tokenisation regex
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (case-insensitive), evaluated per Unicode code point.
/// </summary>
/// <remarks>
/// Implemented as a scanner rather than a .NET Regex because .NET matches \p{L}/\p{N} per UTF-16 unit: letters and
/// digits outside the BMP (surrogate pairs) would fall into the symbol class, while Python's regex module (the
/// reference) sees one letter.
/// </remarks>
public sealed class ClipPreTokenizer : PreTokenizer
{
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";
    private static readonly string[] Contractions = { "'s", "'t", "'re", "'ve", "'m", "'ll", "'d" };

    public static ClipPreTokenizer Instance { get; } = new();

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
    {
        var pieces = new List<(int, int)>();
        Split(text, pieces);
        return pieces;
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => PreTokenize(text.ToString());

    /// <summary>The pieces of <paramref name="text"/> as strings.</summary>
    public static List<string> SplitToStrings(string text)
    {
        var pieces = new List<(int, int)>();
        Split(text, pieces);
        return pieces.Select(p => text.Substring(p.Item1, p.Item2)).ToList();
    }

    private static void Split(string text, List<(int, int)> pieces)
    {
        int i = 0;
        while (i < text.Length)
        {
            int len = MatchAt(text, i);
            if (len == 0) { i += RuneLength(text, i); continue; } // whitespace: no token
            pieces.Add((i, len));
            i += len;
        }
    }

    private static int MatchAt(string s, int i)
    {
        if (MatchesIgnoreCase(s, i, StartOfText)) return StartOfText.Length;
        if (MatchesIgnoreCase(s, i, EndOfText)) return EndOfText.Length;
        foreach (var c in Contractions)
            if (MatchesIgnoreCase(s, i, c)) return c.Length;
        int cp = CodePointAt(s, i);
        if (PythonText.IsLetter(cp))
        {
            int j = i;
            while (j < s.Length && PythonText.IsLetter(CodePointAt(s, j))) j += RuneLength(s, j);
            return j - i;
        }
        if (PythonText.IsNumber(cp)) return RuneLength(s, i);
        if (IsRegexSpace(cp)) return 0;
        int k = i;
        while (k < s.Length)
        {
            int c = CodePointAt(s, k);
            if (IsRegexSpace(c) || PythonText.IsLetter(c) || PythonText.IsNumber(c)) break;
            k += RuneLength(s, k);
        }
        return k - i;
    }

    /// <summary>The regex module's \s (Unicode White_Space).</summary>
    private static bool IsRegexSpace(int cp) => cp is not (>= 0x1C and <= 0x1F) && PythonText.IsSpace(cp);

    /// <summary>
    /// ASCII pattern match under the regex module's simple case folding; the only non-ASCII character that folds
    /// onto a pattern letter is U+017F (long s) for 's'.
    /// </summary>
    private static bool MatchesIgnoreCase(string s, int at, string pattern)
    {
        if (at + pattern.Length > s.Length) return false;
        for (int k = 0; k < pattern.Length; k++)
        {
            char c = s[at + k], p = pattern[k];
            if (c == p) continue;
            if (char.IsAsciiLetter(p) && char.ToLowerInvariant(c) == p && c < 0x80) continue;
            if (p == 's' && c == '\u017F') continue;
            return false;
        }
        return true;
    }

    private static int CodePointAt(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? char.ConvertToUtf32(s[i], s[i + 1]) : s[i];

    private static int RuneLength(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
}
