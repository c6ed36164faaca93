using Engine.Text;
using Engine.Text.Bert;
using Engine.Text.Clip;
using Engine.Text.Html;
using Engine.Text.Unicode;

namespace Engine.Models.BiomedClip;

/// <summary>
/// open_clip's <c>HFTokenizer</c> for BiomedCLIP: the text is cleaned as open_clip's default <c>clean="whitespace"</c>
/// does (ftfy-style repair, <c>html.unescape</c> twice, whitespace collapsed and stripped), then tokenised by the
/// folder's WordPiece vocabulary (uncased BERT rules), truncated to the context length (256) keeping [SEP].
/// Padding: open_clip pads to the context length; padding to the longest prompt gives identical features (padded keys
/// get exactly zero attention), so <see cref="Encode"/> pads to the longest by default.
/// </summary>
public sealed class BiomedClipTokenizer
{
    public BiomedClipTokenizer(BertWordPieceTokenizer wordPiece, int contextLength)
    {
        WordPiece = wordPiece.WithMaxLength(contextLength);
        ContextLength = contextLength;
    }

    public BertWordPieceTokenizer WordPiece { get; }
    public int ContextLength { get; }
    public long PadId => WordPiece.PadId;

    /// <summary>vocab.txt (+ tokenizer_config.json) of an open_clip or BiomedCLIPSeg folder; a clear error when missing.</summary>
    public static BiomedClipTokenizer FromFolder(string folder, int contextLength)
    {
        if (!File.Exists(Path.Combine(folder, "vocab.txt")))
            throw new FileNotFoundException($"Model folder '{folder}' has no tokenizer vocabulary (vocab.txt); copy the BiomedBERT tokenizer files next to the weights.", Path.Combine(folder, "vocab.txt"));
        return new BiomedClipTokenizer(BertWordPieceTokenizer.FromFolder(folder), contextLength);
    }

    /// <summary>open_clip's <c>whitespace</c> clean function.</summary>
    public static string Clean(string text)
        => PythonText.CollapseWhitespace(HtmlEntities.Unescape(HtmlEntities.Unescape(TextFixer.FixText(text))));

    public TokenizedBatch Encode(IReadOnlyList<string> texts, bool padToLongest = true)
    {
        if (texts.Count == 0) throw new ArgumentException("No texts given.");
        for (int i = 0; i < texts.Count; i++)
            if (string.IsNullOrWhiteSpace(texts[i])) throw new ArgumentException($"Text {i} is empty.");
        return WordPiece.Encode(texts.Select(Clean).ToList(), ContextLength, padToLongest);
    }

    /// <summary>Checks every id the tokenizer can produce exists in the model's word table.</summary>
    public void CheckAgainst(int modelVocabSize, string model)
    {
        if (WordPiece.VocabularySize > modelVocabSize)
            throw new InvalidDataException($"The tokenizer vocabulary has {WordPiece.VocabularySize} tokens but {model}'s text tower has {modelVocabSize} rows.");
    }
}
