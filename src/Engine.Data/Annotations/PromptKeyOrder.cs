namespace Engine.Data;

/// <summary>Orders prompt keys naturally (p0, p1, ..., p9, p10) rather than as strings (p0, p1, p10, p2).</summary>
public sealed class PromptKeyOrder : IComparer<string>
{
    public static readonly PromptKeyOrder Instance = new();

    public int Compare(string? a, string? b)
    {
        if (a is null || b is null) return string.CompareOrdinal(a, b);
        var (pa, na) = Split(a);
        var (pb, nb) = Split(b);
        int c = string.CompareOrdinal(pa, pb);
        if (c != 0) return c;
        if (na != nb) return na.CompareTo(nb);
        return string.CompareOrdinal(a, b);
    }

    static (string Prefix, long Number) Split(string key)
    {
        int i = key.Length;
        while (i > 0 && char.IsAsciiDigit(key[i - 1])) i--;
        if (i == key.Length || key.Length - i > 18) return (key, -1);
        return (key[..i], long.Parse(key.AsSpan(i)));
    }
}
