using System.Text.Json;

namespace Engine.Data.Prompts;

/// <summary>One template set: how colours are named, the template(s) of each prompt key, and the replacements used
/// for masks without foreground.</summary>
public sealed record TemplateSet(
    string Name,
    ColourStyle Colours,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Prompts,
    IReadOnlyDictionary<string, IReadOnlyList<string>> WhenEmpty);

/// <summary>One class: which template set it uses, its plural, modality, instruction phrase and descriptions.</summary>
public sealed record ClassEntry(
    string Name,
    string TemplateSet,
    string Plural,
    string Modality,
    string Instruction,
    IReadOnlyList<string> Descriptions);

/// <summary>The prompt templates and class descriptions, read from the editable JSON data file
/// (<c>prompt_templates.json</c>: shipped next to Engine.Data.dll, embedded as a fallback, copied into every prepared
/// dataset). Errors name the file and the entry at fault.</summary>
public sealed class PromptTemplates
{
    public const string FileName = DatasetLayout.TemplatesFileName;

    PromptTemplates(string source, string rawJson, Dictionary<string, TemplateSet> sets, Dictionary<string, ClassEntry> classes)
    {
        Source = source;
        RawJson = rawJson;
        Sets = sets;
        Classes = classes;
    }

    /// <summary>Where the templates came from (a path, or "embedded default").</summary>
    public string Source { get; }

    /// <summary>The file's exact text, written unchanged into each dataset.</summary>
    public string RawJson { get; }

    public IReadOnlyDictionary<string, TemplateSet> Sets { get; }
    public IReadOnlyDictionary<string, ClassEntry> Classes { get; }

    /// <summary>The shipped file next to this assembly (edits there take effect), else the embedded copy.</summary>
    public static PromptTemplates LoadDefault()
    {
        // AppContext.BaseDirectory, not Assembly.Location: the latter is empty in a single-file publish.
        var besideAssembly = Path.Combine(AppContext.BaseDirectory, FileName);
        if (File.Exists(besideAssembly)) return Load(besideAssembly);
        using var stream = typeof(PromptTemplates).Assembly.GetManifestResourceStream("Engine.Data.prompt_templates.json")
                           ?? throw new InvalidOperationException("Engine.Data was built without its embedded prompt_templates.json");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "embedded default prompt_templates.json");
    }

    public static PromptTemplates Load(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"prompt templates file '{path}' does not exist");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>The dataset's own copy when it has one, else the explicit override, else the default.</summary>
    public static PromptTemplates Resolve(string? overridePath, string? datasetRoot = null)
    {
        if (overridePath is not null) return Load(overridePath);
        if (datasetRoot is not null && File.Exists(DatasetLayout.TemplatesPath(datasetRoot))) return Load(DatasetLayout.TemplatesPath(datasetRoot));
        return LoadDefault();
    }

    public ClassEntry Class(string className) =>
        Classes.TryGetValue(className, out var c) ? c
            : throw new DatasetException($"class '{className}' has no entry in the prompt templates ({Source}); add one under \"classes\" (known: {string.Join(", ", Classes.Keys)})");

    public TemplateSet SetFor(string className) => Sets[Class(className).TemplateSet];

    public static PromptTemplates Parse(string json, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new DatasetException($"prompt templates '{source}' is not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            JsonElement Obj(JsonElement parent, string name, string where)
            {
                if (!parent.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Object)
                    throw new DatasetException($"prompt templates '{source}': {where} needs an object \"{name}\"");
                return v;
            }
            string Str(JsonElement parent, string name, string where, string? fallback = null)
            {
                if (parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String) return v.GetString()!;
                return fallback ?? throw new DatasetException($"prompt templates '{source}': {where} needs a string \"{name}\"");
            }
            IReadOnlyList<string> StrList(JsonElement v, string where) => v.ValueKind switch
            {
                JsonValueKind.String => [v.GetString()!],
                JsonValueKind.Array when v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) && v.GetArrayLength() > 0
                    => v.EnumerateArray().Select(e => e.GetString()!).ToList(),
                _ => throw new DatasetException($"prompt templates '{source}': {where} must be a string or a non-empty list of strings"),
            };
            Dictionary<string, IReadOnlyList<string>> Templates(JsonElement obj, string where) =>
                obj.EnumerateObject().ToDictionary(p => p.Name, p => StrList(p.Value, $"{where}.{p.Name}"));

            var sets = new Dictionary<string, TemplateSet>();
            foreach (var s in Obj(root, "templateSets", "the file").EnumerateObject())
            {
                var where = $"templateSets.{s.Name}";
                var colours = Str(s.Value, "colours", where, "named") switch
                {
                    "named" => ColourStyle.Named,
                    "brightness" => ColourStyle.Brightness,
                    var other => throw new DatasetException($"prompt templates '{source}': {where}.colours is '{other}', expected 'named' or 'brightness'"),
                };
                var prompts = Templates(Obj(s.Value, "prompts", where), where + ".prompts");
                var empty = s.Value.TryGetProperty("whenEmpty", out var we) && we.ValueKind == JsonValueKind.Object
                    ? Templates(we, where + ".whenEmpty") : new Dictionary<string, IReadOnlyList<string>>();
                foreach (var k in empty.Keys)
                    if (!prompts.ContainsKey(k)) throw new DatasetException($"prompt templates '{source}': {where}.whenEmpty has key '{k}' that the set's prompts lack");
                sets[s.Name] = new TemplateSet(s.Name, colours, prompts, empty);
            }
            var classes = new Dictionary<string, ClassEntry>();
            foreach (var c in Obj(root, "classes", "the file").EnumerateObject())
            {
                var where = $"classes.{c.Name}";
                var set = Str(c.Value, "templateSet", where);
                if (!sets.ContainsKey(set)) throw new DatasetException($"prompt templates '{source}': {where}.templateSet '{set}' is not one of the templateSets ({string.Join(", ", sets.Keys)})");
                var descriptions = c.Value.TryGetProperty("descriptions", out var d) ? StrList(d, where + ".descriptions") : [c.Name];
                classes[c.Name] = new ClassEntry(c.Name, set, Str(c.Value, "plural", where, c.Name + "s"),
                    Str(c.Value, "modality", where, "image"), Str(c.Value, "instruction", where, "Segment the " + c.Name), descriptions);
            }
            var templates = new PromptTemplates(source, json, sets, classes);
            templates.CheckPlaceholders();
            return templates;
        }
    }

    /// <summary>Fails at load (not halfway through a conversion) on unknown placeholders and reference cycles.</summary>
    void CheckPlaceholders()
    {
        foreach (var set in Sets.Values)
        foreach (var table in new[] { set.Prompts, set.WhenEmpty })
        foreach (var (key, variants) in table)
        foreach (var t in variants)
        foreach (var name in TemplateText.Placeholders(t))
        {
            if (PromptGenerator.AttributeNames.Contains(name)) continue;
            if (!set.Prompts.ContainsKey(name))
                throw new DatasetException($"prompt templates '{Source}': templateSets.{set.Name} prompt '{key}' uses unknown placeholder {{{name}}} (known: {string.Join(", ", PromptGenerator.AttributeNames.Select(a => "{" + a + "}"))} and other prompt keys)");
        }
        foreach (var set in Sets.Values)
        foreach (var key in set.Prompts.Keys)
            CheckNoCycle(set, key, []);
    }

    void CheckNoCycle(TemplateSet set, string key, List<string> path)
    {
        if (path.Contains(key)) throw new DatasetException($"prompt templates '{Source}': templateSets.{set.Name} has a reference cycle {string.Join(" -> ", path.Append(key))}");
        path.Add(key);
        foreach (var t in set.Prompts[key].Concat(set.WhenEmpty.GetValueOrDefault(key) ?? []))
        foreach (var name in TemplateText.Placeholders(t))
            if (set.Prompts.ContainsKey(name) && !PromptGenerator.AttributeNames.Contains(name)) CheckNoCycle(set, name, path);
        path.RemoveAt(path.Count - 1);
    }
}
