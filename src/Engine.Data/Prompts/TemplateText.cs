using System.Text;
using System.Text.RegularExpressions;

namespace Engine.Data.Prompts;

/// <summary>Placeholder syntax of the prompt templates: <c>{name}</c>.</summary>
public static partial class TemplateText
{
    [GeneratedRegex(@"\{([A-Za-z0-9_]+)\}")]
    private static partial Regex PlaceholderRegex();

    public static IEnumerable<string> Placeholders(string template) =>
        PlaceholderRegex().Matches(template).Select(m => m.Groups[1].Value);

    public static string Substitute(string template, Func<string, string> value) =>
        PlaceholderRegex().Replace(template, m => value(m.Groups[1].Value));

    /// <summary>Collapses runs of spaces left by empty words and removes spaces before punctuation.</summary>
    public static string Tidy(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var ch in text)
        {
            if (ch == ' ' && (sb.Length == 0 || sb[^1] == ' ')) continue;
            if (ch is ',' or '.' or ';' && sb.Length > 0 && sb[^1] == ' ') sb.Length--;
            sb.Append(ch);
        }
        return sb.ToString().Trim();
    }
}
