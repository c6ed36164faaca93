namespace Engine.Text.Clip;

/// <summary>
/// GPT-2/CLIP byte-level alphabet: each of the 256 byte values is shown as a printable character. Printable
/// Latin-1 bytes stand for themselves; the remaining 68 bytes get U+0100 onwards in byte order.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The 256 symbols in CLIP's vocabulary order (printable bytes first, then the remapped ones).</summary>
    public static readonly char[] Symbols = BuildSymbols();

    /// <summary>Symbol of each byte value.</summary>
    public static readonly char[] ByteToSymbol = BuildByteMap();

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteMap()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++) map[b] = IsPrintable(b) ? (char)b : (char)(256 + next++);
        return map;
    }

    private static char[] BuildSymbols()
    {
        var map = BuildByteMap();
        var order = new List<char>(256);
        for (int b = 0; b < 256; b++) if (IsPrintable(b)) order.Add(map[b]);
        for (int b = 0; b < 256; b++) if (!IsPrintable(b)) order.Add(map[b]);
        return order.ToArray();
    }
}
