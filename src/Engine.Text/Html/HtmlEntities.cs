using System.Globalization;
using System.Numerics;
using System.Text;
using Engine.Text.Unicode;

namespace Engine.Text.Html;

/// <summary>
/// HTML character-reference decoding with the exact rules of Python's <c>html.unescape</c> (used by OpenAI's CLIP
/// tokenizer) and of ftfy's <c>unescape_html</c> fixer. .NET's WebUtility.HtmlDecode knows only the HTML 4 names,
/// never decodes a reference without ';', and maps invalid numeric references differently.
/// </summary>
public static class HtmlEntities
{
    private static readonly Lazy<Dictionary<string, string>> Html5 = new(LoadTable);
    private static readonly Lazy<Dictionary<string, string>> FtfyTable = new(BuildFtfyTable);

    /// <summary>Python's <c>html.unescape(text)</c>.</summary>
    public static string Unescape(string text)
    {
        if (!text.Contains('&')) return text;
        var table = Html5.Value;
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c != '&') { sb.Append(c); i++; continue; }
            int consumed = TryMatchReference(text, i + 1, out string body);
            if (consumed == 0) { sb.Append('&'); i++; continue; }
            sb.Append(ReplaceReference(body, table));
            i += 1 + consumed;
        }
        return sb.ToString();
    }

    /// <summary>
    /// Matches Python's pattern <c>&amp;(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f &lt;&amp;#;]{1,32};?)</c> after the
    /// '&amp;' at <paramref name="start"/>; returns the number of characters matched (0 when none).
    /// </summary>
    private static int TryMatchReference(string s, int start, out string body)
    {
        body = "";
        int i = start;
        if (i < s.Length && s[i] == '#')
        {
            int j = i + 1;
            bool hex = j < s.Length && (s[j] == 'x' || s[j] == 'X');
            int digitsStart = hex ? j + 1 : j;
            int k = digitsStart;
            while (k < s.Length && (hex ? char.IsAsciiHexDigit(s[k]) : char.IsAsciiDigit(s[k]))) k++;
            if (k == digitsStart)
            {
                // "&#x" without hex digits: Python's decimal branch fails too, and '#' cannot start a name.
                return 0;
            }
            if (k < s.Length && s[k] == ';') k++;
            body = s.Substring(start, k - start);
            return k - start;
        }
        int n = 0;
        // Python's [^...] class counts code points, so a surrogate pair is one of the 32.
        int p = i;
        while (p < s.Length && n < 32)
        {
            char ch = s[p];
            if (ch is '\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';') break;
            p += char.IsHighSurrogate(ch) && p + 1 < s.Length && char.IsLowSurrogate(s[p + 1]) ? 2 : 1;
            n++;
        }
        if (n == 0) return 0;
        if (p < s.Length && s[p] == ';') p++;
        body = s.Substring(start, p - start);
        return p - start;
    }

    private static string ReplaceReference(string body, Dictionary<string, string> table)
    {
        if (body[0] == '#')
        {
            bool hex = body.Length > 1 && (body[1] == 'x' || body[1] == 'X');
            string digits = body.Substring(hex ? 2 : 1).TrimEnd(';');
            var num = BigInteger.Parse(hex ? "0" + digits : digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None,
                CultureInfo.InvariantCulture);
            return NumericReference(num);
        }
        if (table.TryGetValue(body, out var value)) return value;
        // Longest prefix that is itself a name (only the legacy names without ';' can match a prefix).
        for (int x = body.Length - 1; x > 1; x--)
            if (table.TryGetValue(body.Substring(0, x), out var prefixValue))
                return prefixValue + body.Substring(x);
        return "&" + body;
    }

    private static string NumericReference(BigInteger num)
    {
        if (num <= 0x9F && InvalidCharRefs.TryGetValue((int)num, out var mapped)) return mapped;
        if (num > 0x10FFFF || (num >= 0xD800 && num <= 0xDFFF)) return "\uFFFD";
        int cp = (int)num;
        if (IsInvalidCodePoint(cp)) return "";
        return char.ConvertFromUtf32(cp);
    }

    /// <summary>The HTML5 "invalid" references that browsers (and Python) map to fixed characters.</summary>
    private static readonly Dictionary<int, string> InvalidCharRefs = new()
    {
        [0x00] = "\uFFFD", [0x0D] = "\r", [0x80] = "\u20AC", [0x81] = "\u0081", [0x82] = "\u201A", [0x83] = "\u0192",
        [0x84] = "\u201E", [0x85] = "\u2026", [0x86] = "\u2020", [0x87] = "\u2021", [0x88] = "\u02C6", [0x89] = "\u2030",
        [0x8A] = "\u0160", [0x8B] = "\u2039", [0x8C] = "\u0152", [0x8D] = "\u008D", [0x8E] = "\u017D", [0x8F] = "\u008F",
        [0x90] = "\u0090", [0x91] = "\u2018", [0x92] = "\u2019", [0x93] = "\u201C", [0x94] = "\u201D", [0x95] = "\u2022",
        [0x96] = "\u2013", [0x97] = "\u2014", [0x98] = "\u02DC", [0x99] = "\u2122", [0x9A] = "\u0161", [0x9B] = "\u203A",
        [0x9C] = "\u0153", [0x9D] = "\u009D", [0x9E] = "\u017E", [0x9F] = "\u0178",
    };

    /// <summary>Code points a numeric reference decodes to nothing: C0/C1 controls, noncharacters.</summary>
    private static bool IsInvalidCodePoint(int cp) =>
        cp is >= 0x1 and <= 0x8 or 0xB or >= 0xE and <= 0x1F or >= 0x7F and <= 0x9F or >= 0xFDD0 and <= 0xFDEF
        || (cp & 0xFFFE) == 0xFFFE;

    /// <summary>
    /// ftfy's <c>unescape_html</c>: only <c>&amp;#?[0-9A-Za-z]{1,24};</c> is considered; a named reference is decoded
    /// when it is an HTML5 name with ';' (or an all-uppercase spelling of a lower-case name that Python would not
    /// decode otherwise); a numeric one when html.unescape turns it into text without ';'.
    /// </summary>
    public static string FtfyUnescape(string text)
    {
        if (!text.Contains('&')) return text;
        var table = FtfyTable.Value;
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] != '&') { sb.Append(text[i++]); continue; }
            int j = i + 1;
            if (j < text.Length && text[j] == '#') j++;
            int k = j;
            while (k < text.Length && k - j < 24 && char.IsAsciiLetterOrDigit(text[k])) k++;
            if (k == j || k >= text.Length || text[k] != ';') { sb.Append('&'); i++; continue; }
            string entity = text.Substring(i, k + 1 - i);
            if (table.TryGetValue(entity, out var decoded)) sb.Append(decoded);
            else if (entity.StartsWith("&#", StringComparison.Ordinal))
            {
                string unescaped = Unescape(entity);
                sb.Append(unescaped.Contains(';') ? entity : unescaped);
            }
            else sb.Append(entity);
            i = k + 1;
        }
        return sb.ToString();
    }

    private static Dictionary<string, string> BuildFtfyTable()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Html5.Value)
        {
            if (!name.EndsWith(';')) continue;
            result["&" + name] = value;
            if (name == name.ToLowerInvariant())
            {
                string upper = "&" + name.ToUpperInvariant();
                if (Unescape(upper) == upper) result[upper] = UpperLikePython(value);
            }
        }
        return result;
    }

    private static string UpperLikePython(string s)
    {
        var sb = new StringBuilder();
        foreach (var cp in UnicodeNormalization.EnumerateRunesLenient(s))
        {
            if (cp == 0xDF) sb.Append("SS"); // the one full upper-case mapping among entity values that matters
            else if (cp is >= 0xD800 and <= 0xDFFF) sb.Append((char)cp);
            else UnicodeNormalization.AppendCodePoint(sb, Rune.ToUpperInvariant(new Rune(cp)).Value);
        }
        return sb.ToString();
    }

    private static Dictionary<string, string> LoadTable()
    {
        var asm = typeof(HtmlEntities).Assembly;
        const string resource = "Engine.Text.Html.html5_entities.txt";
        using var stream = asm.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource '{resource}' is missing from {asm.GetName().Name}.");
        using var reader = new StreamReader(stream);
        var table = new Dictionary<string, string>(StringComparer.Ordinal);
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int tab = line.IndexOf('\t');
            var sb = new StringBuilder();
            foreach (var hex in line.Substring(tab + 1).Split(' '))
                UnicodeNormalization.AppendCodePoint(sb, Convert.ToInt32(hex, 16));
            table[line.Substring(0, tab)] = sb.ToString();
        }
        return table;
    }
}
