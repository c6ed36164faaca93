using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Models.Loading;

/// <summary>
/// Typed reads from a Hugging Face style config.json. HF writes configs as a diff against the class defaults, so every
/// read names its default; a value of the wrong JSON type is an error naming the file and key.
/// </summary>
public sealed class JsonConfig
{
    private readonly JsonObject _obj;

    public JsonConfig(JsonObject obj, string source) { _obj = obj; Source = source; }

    /// <summary>Where this object came from (file and key path), for error messages.</summary>
    public string Source { get; }

    public JsonObject Raw => _obj;

    public static JsonConfig Parse(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file '{path}' does not exist.", path);
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new InvalidDataException($"Config file '{path}' is not valid JSON: {e.Message}", e); }
        if (node is not JsonObject o) throw new InvalidDataException($"Config file '{path}' must hold a JSON object.");
        return new JsonConfig(o, path);
    }

    public bool Has(string key) => _obj.TryGetPropertyValue(key, out var v) && v is not null;

    public JsonConfig Sub(string key)
    {
        if (_obj.TryGetPropertyValue(key, out var v) && v is JsonObject o) return new JsonConfig(o, $"{Source}:{key}");
        if (v is not null) throw Bad(key, "an object");
        return new JsonConfig(new JsonObject(), $"{Source}:{key}");
    }

    public int Int(string key, int dflt)
    {
        if (!TryGet(key, out var v)) return dflt;
        try { return v.GetValue<int>(); } catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Bad(key, "an integer"); }
    }

    public int? IntOrNull(string key)
    {
        if (!TryGet(key, out var v)) return null;
        try { return v.GetValue<int>(); } catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Bad(key, "an integer"); }
    }

    public float Float(string key, float dflt)
    {
        if (!TryGet(key, out var v)) return dflt;
        try { return (float)v.GetValue<double>(); } catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Bad(key, "a number"); }
    }

    public bool Bool(string key, bool dflt)
    {
        if (!TryGet(key, out var v)) return dflt;
        try { return v.GetValue<bool>(); } catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Bad(key, "true or false"); }
    }

    public string String(string key, string dflt)
    {
        if (!TryGet(key, out var v)) return dflt;
        try { return v.GetValue<string>(); } catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Bad(key, "a string"); }
    }

    public string? StringOrNull(string key)
    {
        if (!TryGet(key, out var v)) return null;
        try { return v.GetValue<string>(); } catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Bad(key, "a string"); }
    }

    public int[] IntArray(string key, int[] dflt)
    {
        if (!_obj.TryGetPropertyValue(key, out var v) || v is null) return dflt;
        if (v is not JsonArray a) throw Bad(key, "an array of integers");
        try { return a.Select(x => x!.GetValue<int>()).ToArray(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException) { throw Bad(key, "an array of integers"); }
    }

    public float[] FloatArray(string key, float[] dflt)
    {
        if (!_obj.TryGetPropertyValue(key, out var v) || v is null) return dflt;
        if (v is not JsonArray a) throw Bad(key, "an array of numbers");
        try { return a.Select(x => (float)x!.GetValue<double>()).ToArray(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException) { throw Bad(key, "an array of numbers"); }
    }

    private bool TryGet(string key, out JsonNode v)
    {
        if (_obj.TryGetPropertyValue(key, out var n) && n is not null) { v = n; return true; }
        v = null!;
        return false;
    }

    private InvalidDataException Bad(string key, string what) => new($"{Source}: '{key}' must be {what} (found {_obj[key]?.ToJsonString()}).");
}
