using Engine.Models.Loading;
using Engine.Text;

namespace Engine.Models.Cris;

/// <summary>Model family "cris": a folder holding a CRIS yaml config and the weights (model.safetensors or CRIS's .pth).</summary>
public sealed class CrisFamily : IModelFamily
{
    public string Name => "cris";

    public bool CanOpen(ModelFolder folder) => folder.Layout == ModelFolderLayout.CrisYaml;

    public IForwardRunner OpenForwardRunner(ModelFolder folder, Device device) => new CrisForwardRunner(CrisLoader.Load(folder, device));

    public IPromptSegmenter? OpenSegmenter(ModelFolder folder, Device device)
    {
        var config = CrisLoader.ReadConfig(folder);
        var tokenizer = CrisLoader.LoadTokenizer(folder, config); // fail on missing tokenizer files before loading weights
        return new CrisSegmenter(CrisLoader.Load(config, CrisLoader.WeightsFile(folder), device), tokenizer);
    }

    public TokenizedBatch? Tokenize(ModelFolder folder, IReadOnlyList<string> texts)
    {
        var config = CrisLoader.ReadConfig(folder);
        return CrisLoader.LoadTokenizer(folder, config).Encode(texts);
    }
}
