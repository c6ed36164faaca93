using System.Globalization;
using System.Text;

namespace Engine.Text.Unicode;

/// <summary>
/// Character predicates and case mapping with the semantics of Python 3's str methods, which the reference
/// tokenizers are written in. .NET's own definitions differ at the edges (\s, lower-casing of U+0130, final sigma,
/// characters outside the BMP), and those edges decide token ids.
/// </summary>
public static class PythonText
{
    /// <summary>Python's str.isspace() / the re module's \s for str patterns.</summary>
    public static bool IsSpace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D => true,
        >= 0x1C and <= 0x20 => true,
        0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    public static UnicodeCategory Category(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp);

    /// <summary>\p{L}: any letter category.</summary>
    public static bool IsLetter(int cp) => Category(cp) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter;

    /// <summary>\p{N}: any number category.</summary>
    public static bool IsNumber(int cp) => Category(cp) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
        or UnicodeCategory.OtherNumber;

    private static bool IsCased(int cp) => Category(cp) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    /// <summary>Approximation of Unicode Case_Ignorable (categories Mn, Me, Cf, Lm, Sk plus word-internal punctuation).</summary>
    private static bool IsCaseIgnorable(int cp) =>
        Category(cp) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || cp is '\'' or '.' or ':' or 0xB7 or 0x387 or 0x5F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;

    /// <summary>
    /// Python's str.lower(): simple lower-case mapping per code point, plus the two context rules Python applies:
    /// U+0130 (I with dot above) becomes "i" + U+0307, and capital sigma becomes final sigma at the end of a word.
    /// </summary>
    public static string Lower(string text) => Lower(text, finalSigma: true);

    /// <summary>
    /// str.lower() applied one character at a time (what transformers' slow tokenizers do to text outside special
    /// tokens): the same mapping, but capital sigma never becomes final sigma.
    /// </summary>
    public static string LowerPerCharacter(string text) => Lower(text, finalSigma: false);

    private static string Lower(string text, bool finalSigma)
    {
        var cps = UnicodeNormalization.EnumerateRunesLenient(text).ToArray();
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < cps.Length; i++)
        {
            int cp = cps[i];
            if (cp < 0x80)
            {
                sb.Append(cp is >= 'A' and <= 'Z' ? (char)(cp + 32) : (char)cp);
                continue;
            }
            if (cp == 0x130)
            {
                sb.Append("i\u0307");
                continue;
            }
            if (cp == 0x3A3)
            {
                sb.Append(finalSigma && IsFinalSigma(cps, i) ? '\u03C2' : '\u03C3');
                continue;
            }
            if (cp is >= 0xD800 and <= 0xDFFF) { sb.Append((char)cp); continue; }
            UnicodeNormalization.AppendCodePoint(sb, Rune.ToLowerInvariant(new Rune(cp)).Value);
        }
        return sb.ToString();
    }

    private static bool IsFinalSigma(int[] cps, int at)
    {
        int j = at - 1;
        while (j >= 0 && IsCaseIgnorable(cps[j])) j--;
        if (j < 0 || !IsCased(cps[j])) return false;
        j = at + 1;
        while (j < cps.Length && IsCaseIgnorable(cps[j])) j++;
        return j >= cps.Length || !IsCased(cps[j]);
    }

    /// <summary>Python's " ".join(text.split()) followed by strip: every run of whitespace becomes one space.</summary>
    public static string CollapseWhitespace(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool pendingSpace = false;
        foreach (var cp in UnicodeNormalization.EnumerateRunesLenient(text))
        {
            if (IsSpace(cp)) { pendingSpace = sb.Length > 0; continue; }
            if (pendingSpace) { sb.Append(' '); pendingSpace = false; }
            UnicodeNormalization.AppendCodePoint(sb, cp);
        }
        return sb.ToString();
    }
}
