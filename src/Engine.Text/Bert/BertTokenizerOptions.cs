namespace Engine.Text.Bert;

/// <summary>Settings of a <see cref="BertWordPieceTokenizer"/> that are not in vocab.txt.</summary>
public sealed record BertTokenizerOptions
{
    /// <summary>Sequence length including [CLS]/[SEP]. Null: tokenizer_config.json model_max_length, else 256
    /// (BiomedCLIP's context length).</summary>
    public int? MaxLength { get; init; }

    /// <summary>do_lower_case; null: tokenizer_config.json, else true (uncased models).</summary>
    public bool? LowerCase { get; init; }

    /// <summary>strip_accents; null: tokenizer_config.json, else the same as lower-casing (BERT's rule).</summary>
    public bool? StripAccents { get; init; }

    /// <summary>tokenize_chinese_chars; null: tokenizer_config.json, else true.</summary>
    public bool? TokenizeChineseChars { get; init; }

    /// <summary>Longest word (in code points) WordPiece tries before giving [UNK].</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;
}
