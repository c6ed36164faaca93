using Engine.Models.Loading;
using Engine.Text;

namespace Engine.Models.BiomedClip;

/// <summary>Model family "biomedclip": an open_clip folder (open_clip_config.json) holding BiomedCLIP.</summary>
public sealed class BiomedClipFamily : IModelFamily
{
    public string Name => "biomedclip";

    public bool CanOpen(ModelFolder folder) => folder.Layout == ModelFolderLayout.OpenClip;

    public IForwardRunner OpenForwardRunner(ModelFolder folder, Device device)
        => new BiomedClipForwardRunner(BiomedClipFolder.Load(folder.Path, device));

    /// <summary>open_clip's tokenisation (cleanup + WordPiece, context length from the config), padded to the longest.</summary>
    public TokenizedBatch? Tokenize(ModelFolder folder, IReadOnlyList<string> texts)
        => BiomedClipTokenizer.FromFolder(folder.Path, BiomedClipConfig.Resolve(folder.Path, null).ContextLength).Encode(texts);
}
