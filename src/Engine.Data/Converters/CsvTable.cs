using System.Text;

namespace Engine.Data.Converters;

/// <summary>A small RFC-4180 CSV reader (quoted fields, doubled quotes, CRLF or LF) with columns by header name.</summary>
public sealed class CsvTable
{
    CsvTable(string path, List<string> header, List<string[]> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
    }

    public string Path { get; }
    public IReadOnlyList<string> Header { get; }
    public IReadOnlyList<string[]> Rows { get; }

    public int Column(string name)
    {
        int i = Header.ToList().FindIndex(h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
        if (i < 0) throw new SourceLayoutException($"CSV '{Path}' has no column '{name}' (columns: {string.Join(", ", Header)})");
        return i;
    }

    public static CsvTable Read(string path)
    {
        var text = File.ReadAllText(path);
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (ch is '\n' or '\r')
            {
                if (ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                fields.Add(field.ToString()); field.Clear();
                if (fields.Count > 1 || fields[0].Length > 0) records.Add(fields.ToArray());
                fields.Clear();
            }
            else field.Append(ch);
        }
        if (field.Length > 0 || fields.Count > 0) { fields.Add(field.ToString()); records.Add(fields.ToArray()); }
        if (records.Count == 0) throw new SourceLayoutException($"CSV '{path}' is empty (expected a header row)");
        var header = records[0].Select(h => h.Trim().TrimStart('\uFEFF')).ToList();
        for (int r = 1; r < records.Count; r++)
            if (records[r].Length != header.Count)
                throw new SourceLayoutException($"CSV '{path}' line {r + 1} has {records[r].Length} fields, the header has {header.Count}");
        return new CsvTable(path, header, records.Skip(1).ToList());
    }
}
