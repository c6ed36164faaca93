using System.Reflection;
using System.Text;

namespace Engine.Text.Unicode;

/// <summary>
/// Unicode normalization forms NFC, NFD, NFKC and NFKD computed from an embedded copy of the Unicode Character
/// Database (see generate_normalization_data.py).
/// </summary>
/// <remarks>
/// Why not <see cref="string.Normalize()"/>: the engine runs with InvariantGlobalization, where .NET's
/// normalization silently returns its input. The tokenizers must normalize exactly like Python's unicodedata,
/// which produced the reference tokens, so the data comes from there.
/// </remarks>
public static class UnicodeNormalization
{
    private const int HangulSBase = 0xAC00, HangulLBase = 0x1100, HangulVBase = 0x1161, HangulTBase = 0x11A7;
    private const int HangulLCount = 19, HangulVCount = 21, HangulTCount = 28;
    private const int HangulNCount = HangulVCount * HangulTCount, HangulSCount = HangulLCount * HangulNCount;

    private static readonly Lazy<Tables> Data = new(Tables.Load);

    /// <summary>Canonical decomposition followed by canonical composition.</summary>
    public static string Nfc(string text) => Normalize(text, compatibility: false, compose: true);

    /// <summary>Canonical decomposition.</summary>
    public static string Nfd(string text) => Normalize(text, compatibility: false, compose: false);

    /// <summary>Compatibility decomposition followed by canonical composition.</summary>
    public static string Nfkc(string text) => Normalize(text, compatibility: true, compose: true);

    /// <summary>Compatibility decomposition.</summary>
    public static string Nfkd(string text) => Normalize(text, compatibility: true, compose: false);

    /// <summary>Canonical combining class of a code point (0 for starters).</summary>
    public static int CombiningClass(int codePoint) =>
        Data.Value.CombiningClass.TryGetValue(codePoint, out var c) ? c : 0;

    private static string Normalize(string text, bool compatibility, bool compose)
    {
        if (IsAllAscii(text)) return text; // ASCII is invariant under every form.
        var tables = Data.Value;
        var cps = new List<int>(text.Length + 8);
        foreach (var rune in EnumerateRunesLenient(text)) Decompose(rune, compatibility, tables, cps);
        CanonicalOrder(cps, tables);
        if (compose) Compose(cps, tables);
        var sb = new StringBuilder(cps.Count);
        foreach (var cp in cps) AppendCodePoint(sb, cp);
        return sb.ToString();
    }

    private static bool IsAllAscii(string s)
    {
        foreach (var ch in s) if (ch >= 0x80) return false;
        return true;
    }

    /// <summary>Code points of a UTF-16 string; a lone surrogate is passed through as its own value.</summary>
    internal static IEnumerable<int> EnumerateRunesLenient(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                yield return char.ConvertToUtf32(c, text[i + 1]);
                i++;
            }
            else yield return c;
        }
    }

    internal static void AppendCodePoint(StringBuilder sb, int cp)
    {
        if (cp < 0x10000) sb.Append((char)cp);
        else sb.Append(char.ConvertFromUtf32(cp));
    }

    private static void Decompose(int cp, bool compatibility, Tables tables, List<int> output)
    {
        int sIndex = cp - HangulSBase;
        if (sIndex >= 0 && sIndex < HangulSCount)
        {
            output.Add(HangulLBase + sIndex / HangulNCount);
            output.Add(HangulVBase + sIndex % HangulNCount / HangulTCount);
            int t = sIndex % HangulTCount;
            if (t != 0) output.Add(HangulTBase + t);
            return;
        }
        if (tables.Canonical.TryGetValue(cp, out var mapping)
            || (compatibility && tables.Compatibility.TryGetValue(cp, out mapping)))
        {
            foreach (var m in mapping) Decompose(m, compatibility, tables, output);
            return;
        }
        output.Add(cp);
    }

    /// <summary>Stable sort of every run of non-starters by combining class (Unicode canonical ordering).</summary>
    private static void CanonicalOrder(List<int> cps, Tables tables)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int ccc = CombiningClassOf(cps[i], tables);
            if (ccc == 0) continue;
            int j = i;
            while (j > 0)
            {
                int prev = CombiningClassOf(cps[j - 1], tables);
                if (prev <= ccc) break;
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    private static int CombiningClassOf(int cp, Tables t) => t.CombiningClass.TryGetValue(cp, out var c) ? c : 0;

    /// <summary>Canonical composition: each character is combined with the last starter unless blocked.</summary>
    private static void Compose(List<int> cps, Tables tables)
    {
        if (cps.Count < 2) return;
        int starterIndex = CombiningClassOf(cps[0], tables) == 0 ? 0 : -1;
        int lastClass = starterIndex == 0 ? 0 : 256;
        int write = 1;
        for (int read = 1; read < cps.Count; read++)
        {
            int cp = cps[read];
            int ccc = CombiningClassOf(cp, tables);
            if (starterIndex >= 0 && (lastClass < ccc || (lastClass == 0 && write - 1 == starterIndex))
                && TryCompose(cps[starterIndex], cp, tables, out int composite))
            {
                cps[starterIndex] = composite;
                continue;
            }
            if (ccc == 0)
            {
                starterIndex = write;
                lastClass = 0;
            }
            else lastClass = ccc;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int first, int second, Tables tables, out int composite)
    {
        int lIndex = first - HangulLBase;
        if (lIndex >= 0 && lIndex < HangulLCount)
        {
            int vIndex = second - HangulVBase;
            if (vIndex >= 0 && vIndex < HangulVCount)
            {
                composite = HangulSBase + (lIndex * HangulVCount + vIndex) * HangulTCount;
                return true;
            }
        }
        int sIndex = first - HangulSBase;
        if (sIndex >= 0 && sIndex < HangulSCount && sIndex % HangulTCount == 0)
        {
            int tIndex = second - HangulTBase;
            if (tIndex > 0 && tIndex < HangulTCount)
            {
                composite = first + tIndex;
                return true;
            }
        }
        return tables.Composition.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private sealed class Tables
    {
        public readonly Dictionary<int, int> CombiningClass = new();
        public readonly Dictionary<int, int[]> Canonical = new();
        public readonly Dictionary<int, int[]> Compatibility = new();
        public readonly Dictionary<long, int> Composition = new();

        public static Tables Load()
        {
            var t = new Tables();
            var asm = typeof(UnicodeNormalization).Assembly;
            const string name = "Engine.Text.Unicode.unicode_normalization.txt";
            using var stream = asm.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from {asm.GetName().Name}.");
            using var reader = new StreamReader(stream);
            var excluded = new HashSet<int>();
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                if (line.Length == 0 || line[0] == '#') continue;
                var parts = line.Split(' ');
                int cp = Convert.ToInt32(parts[1], 16);
                switch (parts[0])
                {
                    case "C": t.CombiningClass[cp] = int.Parse(parts[2]); break;
                    case "D": t.Canonical[cp] = ParseHex(parts); break;
                    case "K": t.Compatibility[cp] = ParseHex(parts); break;
                    case "E": excluded.Add(cp); break;
                }
            }
            foreach (var (cp, m) in t.Canonical)
                if (m.Length == 2 && !excluded.Contains(cp))
                    t.Composition[((long)m[0] << 21) | (uint)m[1]] = cp;
            return t;
        }

        private static int[] ParseHex(string[] parts)
        {
            var r = new int[parts.Length - 2];
            for (int i = 0; i < r.Length; i++) r[i] = Convert.ToInt32(parts[i + 2], 16);
            return r;
        }
    }
}
