using Engine.Imaging;
namespace Engine.Data.Prompts;

/// <summary>Builds a record's prompts (p0..p9 with the shipped templates) from its class and the attributes of its
/// mask on its image. Keys whose templates use {description} (directly or through another key) get one variant per
/// class description; referencing keys pair variants index by index.</summary>
public sealed class PromptGenerator
{
    public static readonly IReadOnlySet<string> AttributeNames = new HashSet<string>
        { "class", "noun", "number", "size", "colour", "shape", "location", "description", "modality", "instruction" };

    public PromptGenerator(PromptTemplates templates) => Templates = templates;

    public PromptTemplates Templates { get; }

    public ColourStyle ColourStyleFor(string className) => Templates.SetFor(className).Colours;

    public Dictionary<string, IReadOnlyList<string>> Generate(string className, RgbImage image, BinaryMask mask) =>
        Generate(className, MaskAttributes.Compute(image, mask, ColourStyleFor(className)));

    public Dictionary<string, IReadOnlyList<string>> Generate(string className, MaskAttributes attributes)
    {
        var entry = Templates.Class(className);
        var set = Templates.Sets[entry.TemplateSet];
        var words = new Dictionary<string, string>
        {
            ["class"] = entry.Name,
            ["noun"] = attributes.Count == 1 ? entry.Name : entry.Plural,
            ["number"] = attributes.Number,
            ["size"] = attributes.Size,
            ["colour"] = attributes.Colour,
            ["shape"] = attributes.Shape,
            ["location"] = attributes.Location,
            ["modality"] = entry.Modality,
            ["instruction"] = entry.Instruction,
        };
        var done = new Dictionary<string, IReadOnlyList<string>>();
        IReadOnlyList<string> Expand(string key)
        {
            if (done.TryGetValue(key, out var ready)) return ready;
            var templates = attributes.IsEmpty && set.WhenEmpty.TryGetValue(key, out var e) ? e : set.Prompts[key];
            var result = new List<string>();
            foreach (var template in templates)
            {
                var lists = TemplateText.Placeholders(template).Distinct()
                    .Where(n => n == "description" || !words.ContainsKey(n))
                    .ToDictionary(n => n, n => n == "description" ? entry.Descriptions : Expand(n));
                int count = lists.Count == 0 ? 1 : lists.Values.Max(l => l.Count);
                for (int i = 0; i < count; i++)
                    result.Add(TemplateText.Tidy(TemplateText.Substitute(template,
                        n => lists.TryGetValue(n, out var l) ? l[i % l.Count] : words[n])));
            }
            return done[key] = result;
        }
        foreach (var key in set.Prompts.Keys) Expand(key);
        return done;
    }
}
