using Engine.Models.Loading;
using Engine.Text;

namespace Engine.Models.BiomedClipSeg;

/// <summary>Model family "biomedclipseg": BiomedCLIPSeg / BiomedCLIPSeg-D folders (config.json model_type "biomedclipseg").</summary>
public sealed class BiomedClipSegFamily : IModelFamily
{
    public string Name => BiomedClipSegConfig.ModelType;

    public bool CanOpen(ModelFolder folder) => folder.Layout == ModelFolderLayout.HuggingFace && folder.ModelType == BiomedClipSegConfig.ModelType;

    public IForwardRunner OpenForwardRunner(ModelFolder folder, Device device) => new BiomedClipSegForwardRunner(BiomedClipSegLoader.Load(folder, device));

    public IPromptSegmenter? OpenSegmenter(ModelFolder folder, Device device)
    {
        var model = BiomedClipSegLoader.Load(folder, device);
        model.PackForInference(); // the segmenter owns the model and only runs inference
        return new BiomedClipSegSegmenter(model, BiomedClipSegLoader.LoadTokenizer(folder, model.Config), BiomedClipSegLoader.Preprocessing(folder, model.Config));
    }

    public TokenizedBatch? Tokenize(ModelFolder folder, IReadOnlyList<string> texts)
    {
        var config = BiomedClipSegLoader.ReadConfig(folder);
        return BiomedClipSegLoader.LoadTokenizer(folder, config).Encode(texts);
    }
}
