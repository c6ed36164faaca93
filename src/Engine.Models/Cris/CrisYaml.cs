using System.Globalization;

namespace Engine.Models.Cris;

/// <summary>
/// The YAML subset CRIS's configs use (config/refcoco/*.yaml): top-level sections (DATA, TRAIN, Distributed, TEST)
/// holding <c>key: value</c> lines, scalars (numbers, True/False, null, plain or quoted strings), inline lists
/// <c>[512, 1024]</c> and block lists (<c>- 512</c> lines), and # comments. Like CRIS's
/// <c>utils.config.load_cfg_from_cfg_file</c>, the sections are flattened into one key space (a key defined in two
/// sections is an error there too). Anything outside the subset is an error naming the file and line.
/// </summary>
public sealed class CrisYaml
{
    private readonly Dictionary<string, object?> _values;
    private readonly Dictionary<string, string> _sectionOf;

    private CrisYaml(string source, Dictionary<string, object?> values, Dictionary<string, string> sectionOf)
    {
        Source = source; _values = values; _sectionOf = sectionOf;
    }

    /// <summary>File name (or label) used in error messages.</summary>
    public string Source { get; }

    /// <summary>Keys in file order are not kept; this is the flattened key set.</summary>
    public IReadOnlyCollection<string> Keys => _values.Keys;

    public static CrisYaml Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CRIS config '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path);
    }

    public static CrisYaml Parse(string text, string source)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        var sectionOf = new Dictionary<string, string>(StringComparer.Ordinal);
        string? section = null;
        string? pendingListKey = null; // key whose value is a block list being read
        int keyIndent = -1;
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int ln = 0; ln < lines.Length; ln++)
        {
            var raw = StripComment(lines[ln]);
            if (raw.Trim().Length == 0) continue;
            if (raw.Contains('\t')) throw Error(source, ln, "tabs are not allowed in YAML indentation");
            int indent = raw.Length - raw.TrimStart(' ').Length;
            var line = raw.Trim();
            if (line == "---") continue;
            if (line.StartsWith("- ", StringComparison.Ordinal) || line == "-")
            {
                if (pendingListKey is null || indent < keyIndent) throw Error(source, ln, "a list item without a key above it");
                var list = (List<object?>)values[pendingListKey]!;
                list.Add(ParseScalar(line.Length > 1 ? line[2..].Trim() : "", source, ln));
                continue;
            }
            if (pendingListKey is not null && ((List<object?>)values[pendingListKey]!).Count == 0 && indent > keyIndent)
                throw Error(source, ln, $"nested mappings under '{pendingListKey}' are not supported");
            pendingListKey = null;
            int colon = FindKeyColon(line);
            if (colon <= 0) throw Error(source, ln, "expected 'key: value'");
            var key = line[..colon].Trim();
            var rest = line[(colon + 1)..].Trim();
            if (indent == 0)
            {
                if (rest.Length == 0) { section = key; continue; }
                // A top-level scalar (no section) is accepted as a key of its own.
                Put(values, sectionOf, key, ParseValue(rest, source, ln), "", source, ln);
                continue;
            }
            if (section is null) throw Error(source, ln, $"indented key '{key}' outside a section");
            if (rest.Length == 0)
            {
                Put(values, sectionOf, key, new List<object?>(), section, source, ln);
                pendingListKey = key; keyIndent = indent;
                continue;
            }
            Put(values, sectionOf, key, ParseValue(rest, source, ln), section, source, ln);
        }
        return new CrisYaml(source, values, sectionOf);
    }

    public bool Has(string key) => _values.ContainsKey(key);

    /// <summary>Raw value: string, long, double, bool, null, or List&lt;object?&gt;.</summary>
    public object? Raw(string key) => _values.TryGetValue(key, out var v) ? v : null;

    public int Int(string key)
        => TryInt(key) ?? throw new InvalidDataException($"{Source}: required key '{key}' is missing.");

    public int Int(string key, int dflt) => TryInt(key) ?? dflt;

    private int? TryInt(string key)
    {
        if (!_values.TryGetValue(key, out var v) || v is null) return null;
        return v switch
        {
            long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
            _ => throw Bad(key, "an integer", v),
        };
    }

    public double Double(string key, double dflt)
    {
        if (!_values.TryGetValue(key, out var v) || v is null) return dflt;
        return v switch { long l => l, double d => d, _ => throw Bad(key, "a number", v) };
    }

    public bool Bool(string key, bool dflt)
    {
        if (!_values.TryGetValue(key, out var v) || v is null) return dflt;
        return v is bool b ? b : throw Bad(key, "True or False", v);
    }

    public string? String(string key)
    {
        if (!_values.TryGetValue(key, out var v) || v is null) return null;
        return v switch { string s => s, long l => l.ToString(CultureInfo.InvariantCulture), double d => d.ToString("R", CultureInfo.InvariantCulture), bool b => b ? "True" : "False", _ => throw Bad(key, "a string", v) };
    }

    public int[] IntList(string key)
    {
        if (!_values.TryGetValue(key, out var v) || v is null) throw new InvalidDataException($"{Source}: required key '{key}' is missing.");
        if (v is not List<object?> list) throw Bad(key, "a list of integers", v);
        var r = new int[list.Count];
        for (int i = 0; i < r.Length; i++)
            r[i] = list[i] is long l && l is >= int.MinValue and <= int.MaxValue ? (int)l : throw Bad(key, "a list of integers", v);
        return r;
    }

    /// <summary>Which section a key came from ("TRAIN", ...); "" for top-level keys.</summary>
    public string? SectionOf(string key) => _sectionOf.TryGetValue(key, out var s) ? s : null;

    private InvalidDataException Bad(string key, string what, object? v)
        => new($"{Source}: '{key}' must be {what} (found {Describe(v)}).");

    private static string Describe(object? v) => v switch
    {
        null => "null",
        List<object?> l => "[" + string.Join(", ", l.Select(Describe)) + "]",
        string s => $"\"{s}\"",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "?",
    };

    private static void Put(Dictionary<string, object?> values, Dictionary<string, string> sectionOf, string key, object? value, string section, string source, int ln)
    {
        if (values.ContainsKey(key))
            throw Error(source, ln, $"key '{key}' is defined twice (in '{sectionOf[key]}' and '{section}'); CRIS flattens sections, so keys must be unique");
        values[key] = value; sectionOf[key] = section;
    }

    private static InvalidDataException Error(string source, int ln, string what) => new($"{source}:{ln + 1}: {what}.");

    /// <summary>Removes a # comment that is not inside quotes.</summary>
    private static string StripComment(string line)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '"' or '\'') quote = c;
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i].TrimEnd();
        }
        return line.TrimEnd();
    }

    private static int FindKeyColon(string line)
    {
        for (int i = 0; i < line.Length; i++)
            if (line[i] == ':' && (i + 1 == line.Length || line[i + 1] == ' ')) return i;
        return -1;
    }

    private static object? ParseValue(string text, string source, int ln)
    {
        if (text.StartsWith('['))
        {
            if (!text.EndsWith(']')) throw Error(source, ln, "an inline list must end with ']' on the same line");
            var inner = text[1..^1].Trim();
            var list = new List<object?>();
            if (inner.Length == 0) return list;
            foreach (var item in inner.Split(',')) list.Add(ParseScalar(item.Trim(), source, ln));
            return list;
        }
        if (text.StartsWith('{')) throw Error(source, ln, "inline mappings are not supported");
        return ParseScalar(text, source, ln);
    }

    private static object? ParseScalar(string text, string source, int ln)
    {
        if (text.Length >= 2 && ((text[0] == '"' && text[^1] == '"') || (text[0] == '\'' && text[^1] == '\''))) return text[1..^1];
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL" or "None": return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes": return true;
            case "false" or "False" or "FALSE" or "no" or "No": return false;
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        if (text.StartsWith('[') || text.StartsWith('{')) throw Error(source, ln, "nested collections are not supported");
        return text;
    }
}
