using Engine.Text.Bert;
using Engine.Text.Clip;
using Xunit;

namespace Engine.Text.Tests;

public class TextTokenizersTests
{
    [Fact]
    public void PicksTokenizerByFolderContents()
    {
        var clip = Assert.IsType<ClipTokenizer>(TextTokenizers.FromFolder(ClipGolden.VocabFolder, maxLength: 22));
        Assert.Equal(22, clip.MaxLength);
        Assert.Equal(ClipGolden.Prompts[0].Ids, clip.EncodeOne(ClipGolden.Prompts[0].Text));
        var bert = Assert.IsType<BertWordPieceTokenizer>(TextTokenizers.FromFolder(TestPaths.SharedPath("vocab", "biomedbert")));
        Assert.Equal(256, bert.MaxLength);
        Assert.Throws<FileNotFoundException>(() => TextTokenizers.FromFolder(TestPaths.SharedPath("golden", "clip_text_tiny")));
    }
}
