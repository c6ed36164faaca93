using Engine.Imaging;
using Engine.Models.Loading;
using Engine.Text;

namespace Engine.Models.ClipSeg;

/// <summary>Model family "clipseg": Hugging Face CLIPSegForImageSegmentation folders.</summary>
public sealed class ClipSegFamily : IModelFamily
{
    public string Name => "clipseg";

    public bool CanOpen(ModelFolder folder) => folder.Layout == ModelFolderLayout.HuggingFace && folder.ModelType == ClipSegLoader.ModelType;

    public IForwardRunner OpenForwardRunner(ModelFolder folder, Device device) => new ClipSegForwardRunner(ClipSegLoader.Load(folder, device));

    public IPromptSegmenter? OpenSegmenter(ModelFolder folder, Device device)
    {
        var model = ClipSegLoader.Load(folder, device);
        model.PackForInference(); // the segmenter owns the model and only runs inference
        return new ClipSegSegmenter(model, ClipSegLoader.LoadTokenizer(folder),
            PreprocessorConfig.FromFolder(folder.Path, ClipSegSegmenter.CidasPreprocessing));
    }

    public TokenizedBatch? Tokenize(ModelFolder folder, IReadOnlyList<string> texts) => ClipSegLoader.LoadTokenizer(folder).Encode(texts, padToLongest: true);
}
