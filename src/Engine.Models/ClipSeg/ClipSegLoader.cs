using Engine.Models.Loading;
using Engine.Text.Clip;

namespace Engine.Models.ClipSeg;

/// <summary>Loads a Hugging Face CLIPSeg folder (config.json model_type "clipseg", weights, CLIP tokenizer files).</summary>
public static class ClipSegLoader
{
    public const string ModelType = "clipseg";

    public static ClipSegConfig ReadConfig(ModelFolder folder)
    {
        if (folder.Layout != ModelFolderLayout.HuggingFace || folder.ModelType != ModelType)
            throw new InvalidDataException($"'{folder.Path}' is not a CLIPSeg folder (config.json model_type must be \"clipseg\").");
        return ClipSegConfig.FromJson(folder.Config!);
    }

    public static ClipSegForImageSegmentation Load(ModelFolder folder, Device device)
        => ModelLoader.LoadHuggingFace(folder, () => new ClipSegForImageSegmentation(ReadConfig(folder)), device);

    public static ClipSegForImageSegmentation Load(string folder, Device device) => Load(ModelFolder.Open(folder), device);

    /// <summary>The folder's CLIP tokenizer (vocab.json + merges.txt); a clear error when the files are missing.</summary>
    public static ClipTokenizer LoadTokenizer(ModelFolder folder)
    {
        if (!folder.HasFile("vocab.json") && !folder.HasFile("bpe_simple_vocab_16e6.txt.gz"))
            throw new FileNotFoundException($"Model folder '{folder.Path}' has no tokenizer files (vocab.json + merges.txt).");
        return ClipTokenizer.FromFolder(folder.Path);
    }
}
