using System.Text.Encodings.Web;
using System.Text.Json;

namespace Engine.Data;

/// <summary>Reads and writes <c>anns/{split}.json</c>: a JSON list of
/// <c>{"img_name", "mask_name", "class", "prompts": {"p0": "..." | ["...", ...]}}</c>.
/// Writing is deterministic (fixed key order, two-space indent, "\n" line ends, UTF-8 without BOM).</summary>
public static class AnnotationFile
{
    public static List<DatasetRecord> Read(string path)
    {
        if (!File.Exists(path)) throw new DatasetValidationException($"annotation file '{path}' does not exist");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new DatasetValidationException($"annotation file '{path}' is not valid JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new DatasetValidationException($"annotation file '{path}' must hold a JSON list of records, found {doc.RootElement.ValueKind}");
            var records = new List<DatasetRecord>();
            int index = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                records.Add(ParseRecord(path, index, e));
                index++;
            }
            return records;
        }
    }

    static DatasetRecord ParseRecord(string path, int index, JsonElement e)
    {
        string Where() => $"'{path}' record {index}";
        if (e.ValueKind != JsonValueKind.Object) throw new DatasetValidationException($"{Where()}: expected an object, found {e.ValueKind}");
        string Field(string name)
        {
            if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
                throw new DatasetValidationException($"{Where()}: field \"{name}\" is missing or not a non-empty string");
            return v.GetString()!;
        }
        var img = Field("img_name");
        var mask = Field("mask_name");
        var cls = Field("class");
        var prompts = new Dictionary<string, IReadOnlyList<string>>();
        if (e.TryGetProperty("prompts", out var p))
        {
            if (p.ValueKind != JsonValueKind.Object) throw new DatasetValidationException($"{Where()}: \"prompts\" must be an object of key -> string or list of strings");
            foreach (var kv in p.EnumerateObject())
            {
                if (kv.Value.ValueKind == JsonValueKind.String) prompts[kv.Name] = [kv.Value.GetString()!];
                else if (kv.Value.ValueKind == JsonValueKind.Array)
                {
                    var list = new List<string>();
                    foreach (var v in kv.Value.EnumerateArray())
                    {
                        if (v.ValueKind != JsonValueKind.String) throw new DatasetValidationException($"{Where()}: prompt \"{kv.Name}\" has a non-string variant");
                        list.Add(v.GetString()!);
                    }
                    if (list.Count == 0) throw new DatasetValidationException($"{Where()}: prompt \"{kv.Name}\" is an empty list of variants");
                    prompts[kv.Name] = list;
                }
                else throw new DatasetValidationException($"{Where()}: prompt \"{kv.Name}\" must be a string or a list of strings");
            }
        }
        return new DatasetRecord(img, mask, cls, prompts);
    }

    public static string Serialize(IEnumerable<DatasetRecord> records)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions
               {
                   Indented = true, IndentSize = 2, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
               }))
        {
            w.WriteStartArray();
            foreach (var r in records)
            {
                w.WriteStartObject();
                w.WriteString("img_name", r.ImageName);
                w.WriteString("mask_name", r.MaskName);
                w.WriteString("class", r.ClassName);
                w.WriteStartObject("prompts");
                foreach (var key in r.Prompts.Keys.OrderBy(k => k, PromptKeyOrder.Instance))
                {
                    var variants = r.Prompts[key];
                    if (variants.Count == 1) w.WriteString(key, variants[0]);
                    else
                    {
                        w.WriteStartArray(key);
                        foreach (var v in variants) w.WriteStringValue(v);
                        w.WriteEndArray();
                    }
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <returns>true when the file content changed.</returns>
    public static bool Write(string path, IEnumerable<DatasetRecord> records) =>
        FileOutput.WriteTextIfChanged(path, Serialize(records));
}
