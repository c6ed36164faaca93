using Engine.Text.Bert;
using Engine.Text.Clip;

namespace Engine.Text.Tests;

/// <summary>Tokenizers loaded once per test run (building the BPE tables is the slow part of loading).</summary>
internal static class SharedTokenizers
{
    private static readonly Lazy<ClipTokenizer> LazyClip = new(() => ClipTokenizer.FromFolder(ClipGolden.VocabFolder));
    private static readonly Lazy<BertWordPieceTokenizer> LazyBert =
        new(() => BertWordPieceTokenizer.FromFolder(TestPaths.SharedPath("vocab", "biomedbert")));

    /// <summary>shared/vocab/clip as a Hugging Face folder, OpenAI cleanup, pads with &lt;|endoftext|&gt;.</summary>
    public static ClipTokenizer Clip => LazyClip.Value;

    /// <summary>The same vocabulary with transformers' slow-tokenizer cleanup.</summary>
    public static ClipTokenizer ClipHuggingFaceSlow => ClipTokenizer.Create(Clip.Vocabulary,
        TokenizerConfig.Read(ClipGolden.VocabFolder), new ClipTokenizerOptions { Cleanup = ClipCleanup.HuggingFaceSlow });

    /// <summary>shared/vocab/biomedbert.</summary>
    public static BertWordPieceTokenizer Bert => LazyBert.Value;
}
