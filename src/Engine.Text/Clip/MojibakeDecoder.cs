using System.Text;

namespace Engine.Text.Clip;

/// <summary>
/// Repairs UTF-8 text that was decoded as Windows-1252 or Latin-1 ("cafÃ©" → "café", "â€”" → "—").
/// </summary>
/// <remarks>
/// A run of characters is replaced when the bytes they stand for in (sloppy) Windows-1252 form one or more complete,
/// valid multi-byte UTF-8 sequences: a lead byte 0xC2..0xF4 followed by exactly the continuation bytes 0x80..0xBF it
/// announces, with the overlong and surrogate ranges excluded. Accented text written on purpose almost never has
/// that shape ("naïve", "résumé", "Ångström" do not), which is what makes the rule safe without ftfy's statistical
/// badness heuristic. The repair repeats (by the caller) so double mojibake is undone layer by layer.
/// </remarks>
internal static class MojibakeDecoder
{
    public static string Fix(string text)
    {
        StringBuilder? sb = null;
        int copiedUpTo = 0;
        int i = 0;
        Span<byte> bytes = stackalloc byte[4];
        while (i < text.Length)
        {
            int length = MatchSequence(text, i, bytes);
            if (length == 0) { i++; continue; }
            sb ??= new StringBuilder(text.Length);
            sb.Append(text, copiedUpTo, i - copiedUpTo);
            sb.Append(Encoding.UTF8.GetString(bytes.Slice(0, length)));
            i += length;
            copiedUpTo = i;
        }
        if (sb == null) return text;
        sb.Append(text, copiedUpTo, text.Length - copiedUpTo);
        return sb.ToString();
    }

    /// <summary>Length (2..4) of the UTF-8 sequence spelled by the characters at <paramref name="at"/>, or 0.</summary>
    private static int MatchSequence(string text, int at, Span<byte> bytes)
    {
        if (!Windows1252.TryEncode(text[at], out byte lead)) return 0;
        int length = lead switch
        {
            >= 0xC2 and <= 0xDF => 2,
            >= 0xE0 and <= 0xEF => 3,
            >= 0xF0 and <= 0xF4 => 4,
            _ => 0,
        };
        if (length == 0 || at + length > text.Length) return 0;
        bytes[0] = lead;
        for (int k = 1; k < length; k++)
        {
            if (!Windows1252.TryEncode(text[at + k], out byte b) || b is < 0x80 or > 0xBF) return 0;
            bytes[k] = b;
        }
        // Exclude overlong forms, UTF-16 surrogates and code points above U+10FFFF.
        if (lead == 0xE0 && bytes[1] < 0xA0) return 0;
        if (lead == 0xED && bytes[1] >= 0xA0) return 0;
        if (lead == 0xF0 && bytes[1] < 0x90) return 0;
        if (lead == 0xF4 && bytes[1] >= 0x90) return 0;
        return length;
    }
}
