using Engine.Text.Html;
using Engine.Text.Unicode;
using Microsoft.ML.Tokenizers;

namespace Engine.Text.Clip;

/// <summary>
/// The CLIP tokenizer's text cleanup as a Microsoft.ML.Tokenizers <see cref="Normalizer"/>: ftfy-style repair,
/// HTML unescape (OpenAI flavour), whitespace collapse, strip and Python lower-casing.
/// </summary>
public sealed class ClipTextNormalizer : Normalizer
{
    public ClipTextNormalizer(ClipCleanup cleanup = ClipCleanup.OpenAi) => Cleanup = cleanup;

    public ClipCleanup Cleanup { get; }

    public override string Normalize(string original)
    {
        string text = TextFixer.FixText(original);
        if (Cleanup == ClipCleanup.OpenAi) text = HtmlEntities.Unescape(HtmlEntities.Unescape(text));
        text = PythonText.CollapseWhitespace(text);
        return PythonText.Lower(text);
    }

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
}
