namespace Engine.Text.Clip;

/// <summary>Which reference implementation's text cleanup the CLIP tokenizer reproduces.</summary>
public enum ClipCleanup
{
    /// <summary>
    /// OpenAI CLIP <c>simple_tokenizer</c> (canonical): ftfy, <c>html.unescape</c> twice, whitespace collapse, strip,
    /// lower-case.
    /// </summary>
    OpenAi,

    /// <summary>
    /// transformers' slow <c>CLIPTokenizer</c> with ftfy installed: ftfy, whitespace collapse, strip, lower-case
    /// (no extra HTML unescape, so "&amp;amp;" survives in a prompt that also contains '&lt;').
    /// </summary>
    HuggingFaceSlow,
}
