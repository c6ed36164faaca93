using Engine.Text.Bert;
using Engine.Text.Clip;

namespace Engine.Text;

/// <summary>Picks the tokenizer a model folder ships.</summary>
public static class TextTokenizers
{
    /// <summary>
    /// vocab.json + merges.txt (or bpe_simple_vocab_16e6.txt.gz) → <see cref="ClipTokenizer"/>; vocab.txt →
    /// <see cref="BertWordPieceTokenizer"/>. <paramref name="maxLength"/> overrides the configured length (CRIS word_len).
    /// </summary>
    public static ITextTokenizer FromFolder(string folder, int? maxLength = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Tokenizer folder not found: '{folder}'.");
        bool clip = File.Exists(Path.Combine(folder, "vocab.json")) || File.Exists(Path.Combine(folder, "merges.txt"))
                    || File.Exists(Path.Combine(folder, "bpe_simple_vocab_16e6.txt.gz"));
        if (clip) return ClipTokenizer.FromFolder(folder, new ClipTokenizerOptions { ContextLength = maxLength });
        if (File.Exists(Path.Combine(folder, "vocab.txt")))
            return BertWordPieceTokenizer.FromFolder(folder, new BertTokenizerOptions { MaxLength = maxLength });
        throw new FileNotFoundException(
            $"No tokenizer files in '{folder}': expected vocab.json + merges.txt (CLIP) or vocab.txt (BERT).");
    }
}
