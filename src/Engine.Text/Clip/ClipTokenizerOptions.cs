namespace Engine.Text.Clip;

/// <summary>Settings of a <see cref="ClipTokenizer"/> that are not part of its vocabulary files.</summary>
public sealed record ClipTokenizerOptions
{
    /// <summary>
    /// Sequence length including bos and eos (77 for CLIP/CLIPSeg; CRIS configs use 17, 22 or 77). Null: the
    /// folder's tokenizer_config.json model_max_length when present, else 77.
    /// </summary>
    public int? ContextLength { get; init; }

    /// <summary>
    /// Padding id. Null: the id of tokenizer_config.json/special_tokens_map.json "pad_token" when present (the HF
    /// CLIP files use &lt;|endoftext|&gt; = 49407; some CLIPSeg exports use "!" = 0), else the eos id. OpenAI's
    /// clip.tokenize and CRIS pad with 0.
    /// </summary>
    public long? PadId { get; init; }

    /// <summary>Which reference cleanup to reproduce (default: OpenAI's, the canonical one).</summary>
    public ClipCleanup Cleanup { get; init; } = ClipCleanup.OpenAi;
}
