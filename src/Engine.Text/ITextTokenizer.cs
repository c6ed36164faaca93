namespace Engine.Text;

/// <summary>A tokenizer that turns prompts into a padded batch of ids for a text tower.</summary>
public interface ITextTokenizer
{
    /// <summary>The maximum sequence length including special tokens (CLIP 77, BERT 256 unless configured).</summary>
    int MaxLength { get; }

    /// <summary>Id of the padding token.</summary>
    long PadId { get; }

    /// <summary>Number of entries in the vocabulary (every produced id is below it).</summary>
    int VocabularySize { get; }

    /// <summary>
    /// Tokenizes <paramref name="texts"/>. Each row is truncated to <paramref name="maxLength"/> (default
    /// <see cref="MaxLength"/>) keeping the closing special token; rows are padded to that length, or to the longest
    /// row when <paramref name="padToLongest"/> is set.
    /// </summary>
    TokenizedBatch Encode(IReadOnlyList<string> texts, int? maxLength = null, bool padToLongest = false);

    /// <summary>The unpadded ids of one text (with special tokens, truncated to <paramref name="maxLength"/>).</summary>
    long[] EncodeOne(string text, int? maxLength = null);
}
