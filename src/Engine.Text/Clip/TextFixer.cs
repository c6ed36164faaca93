using System.Text;
using Engine.Text.Html;
using Engine.Text.Unicode;

namespace Engine.Text.Clip;

/// <summary>
/// The text repairs of ftfy 6.3 <c>fix_text</c> with default settings, which the CLIP tokenizer applies to every
/// prompt: HTML entities (only in segments without '&lt;'), UTF-8 mojibake, C1 controls, Latin ligatures,
/// full-width forms, curly quotes, line breaks, surrogates, terminal escapes, control characters and NFC.
/// </summary>
/// <remarks>
/// This is an independent implementation of the documented behaviour, not a port. It differs from ftfy in one
/// deliberate way: ftfy decides whether a segment is mojibake with a large statistical "badness" heuristic; here a
/// character run is re-decoded only when its Windows-1252 bytes form complete, valid multi-byte UTF-8 sequences
/// (see <see cref="MojibakeDecoder"/>). Both agree on every reference prompt, on ordinary accented text (left alone)
/// and on typical "Ã©"-style mojibake (fixed); they can differ on rare intentional sequences such as "Ã©" written
/// on purpose, or on mojibake mixed across several encodings that ftfy untangles and this does not.
/// </remarks>
public static class TextFixer
{
    /// <summary>Applies the repairs segment by segment (a segment ends after each '\n').</summary>
    public static string FixText(string text)
    {
        var output = new StringBuilder(text.Length);
        bool unescapeHtml = true;
        int pos = 0;
        while (pos < text.Length)
        {
            int newline = text.IndexOf('\n', pos);
            int end = newline < 0 ? text.Length : newline + 1;
            string segment = text.Substring(pos, end - pos);
            // ftfy turns HTML unescaping off for the rest of the text once a segment contains '<' (it looks like HTML).
            if (unescapeHtml && segment.Contains('<')) unescapeHtml = false;
            output.Append(FixSegment(segment, unescapeHtml));
            pos = end;
        }
        return output.ToString();
    }

    /// <summary>Repeats all fixes until the segment no longer changes.</summary>
    public static string FixSegment(string text, bool unescapeHtml)
    {
        for (int iteration = 0; iteration < 16; iteration++)
        {
            string original = text;
            if (unescapeHtml) text = HtmlEntities.FtfyUnescape(text);
            // Mojibake is undone layer by layer before anything else touches the characters it is spelled with.
            for (int layer = 0; layer < 8; layer++)
            {
                string before = text;
                text = MojibakeDecoder.Fix(text);
                if (text == before) break;
            }
            text = FixC1Controls(text);
            text = FixLatinLigatures(text);
            text = FixCharacterWidth(text);
            text = UncurlQuotes(text);
            text = FixLineBreaks(text);
            text = FixSurrogates(text);
            text = RemoveTerminalEscapes(text);
            text = RemoveControlChars(text);
            text = UnicodeNormalization.Nfc(text);
            if (text == original) break;
        }
        return text;
    }

    /// <summary>C1 control characters U+0080..U+009F are read as the Windows-1252 bytes they were meant to be.</summary>
    public static string FixC1Controls(string text)
    {
        if (!text.Any(c => c is >= '\u0080' and <= '\u009F')) return text;
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (chars[i] is >= '\u0080' and <= '\u009F') chars[i] = Windows1252.Decode((byte)chars[i]);
        return new string(chars);
    }

    /// <summary>Latin typographic ligatures and legacy digraph code points are split into their letters.</summary>
    public static string FixLatinLigatures(string text)
    {
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            string? replacement = text[i] switch
            {
                '\u0132' => "IJ", '\u0133' => "ij", '\u0149' => "\u02BCn",
                '\u01F1' => "DZ", '\u01F2' => "Dz", '\u01F3' => "dz",
                '\u01C4' => "D\u017D", '\u01C5' => "D\u017E", '\u01C6' => "d\u017E",
                '\u01C7' => "LJ", '\u01C8' => "Lj", '\u01C9' => "lj",
                '\u01CA' => "NJ", '\u01CB' => "Nj", '\u01CC' => "nj",
                '\uFB00' => "ff", '\uFB01' => "fi", '\uFB02' => "fl", '\uFB03' => "ffi", '\uFB04' => "ffl",
                '\uFB05' => "\u017Ft", '\uFB06' => "st",
                _ => null,
            };
            if (replacement == null) { sb?.Append(text[i]); continue; }
            sb ??= new StringBuilder(text, 0, i, text.Length + 8);
            sb.Append(replacement);
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>Full-width and half-width forms (U+FF01..U+FFEF) become their NFKC equivalents; U+3000 becomes a space.</summary>
    public static string FixCharacterWidth(string text)
    {
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            string? replacement = null;
            if (c == '\u3000') replacement = " ";
            else if (c is >= '\uFF01' and <= '\uFFEF')
            {
                string nfkc = UnicodeNormalization.Nfkc(c.ToString());
                if (nfkc != c.ToString()) replacement = nfkc;
            }
            if (replacement == null) { sb?.Append(c); continue; }
            sb ??= new StringBuilder(text, 0, i, text.Length);
            sb.Append(replacement);
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>Curly single quotes (and U+02BC) become "'", curly double quotes become '"'.</summary>
    public static string UncurlQuotes(string text)
    {
        if (!text.Any(c => c is '\u02BC' or >= '\u2018' and <= '\u201F')) return text;
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (chars[i] is '\u02BC' or >= '\u2018' and <= '\u201B') chars[i] = '\'';
            else if (chars[i] is >= '\u201C' and <= '\u201F') chars[i] = '"';
        }
        return new string(chars);
    }

    /// <summary>CRLF, CR, U+2028, U+2029 and U+0085 all become '\n'.</summary>
    public static string FixLineBreaks(string text) =>
        text.Replace("\r\n", "\n").Replace('\r', '\n').Replace('\u2028', '\n').Replace('\u2029', '\n').Replace('\u0085', '\n');

    /// <summary>Unpaired UTF-16 surrogates (which Python would hold as lone code points) become U+FFFD.</summary>
    public static string FixSurrogates(string text)
    {
        char[]? chars = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (!char.IsSurrogate(c)) continue;
            chars ??= text.ToCharArray();
            chars[i] = '\uFFFD';
        }
        return chars == null ? text : new string(chars);
    }

    /// <summary>Removes ANSI escape sequences "ESC [ digits/semicolons letter".</summary>
    public static string RemoveTerminalEscapes(string text)
    {
        int at = text.IndexOf('\u001B');
        if (at < 0) return text;
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] == '\u001B' && i + 1 < text.Length && text[i + 1] == '[')
            {
                int j = i + 2;
                while (j < text.Length && (char.IsAsciiDigit(text[j]) || text[j] == ';')) j++;
                if (j < text.Length && char.IsAsciiLetter(text[j])) { i = j + 1; continue; }
            }
            sb.Append(text[i++]);
        }
        return sb.ToString();
    }

    /// <summary>Removes C0 controls other than tab/LF/FF/CR, DEL, deprecated format characters, BOM and U+FFF9..U+FFFC.</summary>
    public static string RemoveControlChars(string text)
    {
        static bool Remove(char c) => c is <= '\u0008' or '\u000B' or >= '\u000E' and <= '\u001F' or '\u007F'
            or >= '\u206A' and <= '\u206F' or '\uFEFF' or >= '\uFFF9' and <= '\uFFFC';
        if (!text.Any(Remove)) return text;
        var sb = new StringBuilder(text.Length);
        foreach (var c in text) if (!Remove(c)) sb.Append(c);
        return sb.ToString();
    }
}
