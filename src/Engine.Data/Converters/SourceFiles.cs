namespace Engine.Data.Converters;

/// <summary>Helpers for reading a publisher's folder: required folders/files with errors that show the expected
/// layout, listing image files by extension, and natural ordering (2 before 10).</summary>
public static class SourceFiles
{
    public static readonly string[] RasterExtensions = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"];

    public static void RequireSourceDir(string src, string dataset, string expectedLayout)
    {
        if (!Directory.Exists(src))
            throw new SourceLayoutException($"{dataset}: source folder '{src}' does not exist. Expected layout:\n{expectedLayout}");
    }

    public static string RequireDir(string src, string relative, string dataset, string expectedLayout)
    {
        var path = Path.Combine(src, relative);
        if (!Directory.Exists(path))
            throw new SourceLayoutException($"{dataset}: folder '{relative}' is missing in '{src}'. Expected layout:\n{expectedLayout}");
        return path;
    }

    public static string RequireFile(string src, string relative, string dataset, string expectedLayout)
    {
        var path = Path.Combine(src, relative);
        if (!File.Exists(path))
            throw new SourceLayoutException($"{dataset}: file '{relative}' is missing in '{src}'. Expected layout:\n{expectedLayout}");
        return path;
    }

    /// <summary>Files directly in <paramref name="dir"/> with one of the extensions (case-insensitive), natural order.</summary>
    public static List<string> List(string dir, IEnumerable<string> extensions)
    {
        var ext = extensions.Select(e => e.ToLowerInvariant()).ToHashSet();
        return Directory.EnumerateFiles(dir).Where(f => ext.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => Path.GetFileName(f), NaturalOrder.Instance).ToList();
    }

    public static string Stem(string path) => Path.GetFileNameWithoutExtension(path);
}

/// <summary>Compares strings with digit runs as numbers: "2.png" &lt; "10.png".</summary>
public sealed class NaturalOrder : IComparer<string>
{
    public static readonly NaturalOrder Instance = new();

    public int Compare(string? a, string? b)
    {
        if (a is null || b is null) return string.CompareOrdinal(a, b);
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                int si = i, sj = j;
                while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
                while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
                var da = a.AsSpan(si, i - si).TrimStart('0');
                var db = b.AsSpan(sj, j - sj).TrimStart('0');
                if (da.Length != db.Length) return da.Length.CompareTo(db.Length);
                int c = da.SequenceCompareTo(db);
                if (c != 0) return c;
            }
            else
            {
                if (a[i] != b[j]) return a[i].CompareTo(b[j]);
                i++; j++;
            }
        }
        int rest = (a.Length - i).CompareTo(b.Length - j);
        return rest != 0 ? rest : string.CompareOrdinal(a, b);
    }
}
