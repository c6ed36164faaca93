using Engine.Imaging;
using Engine.Models.BiomedClip;
using Engine.Models.Loading;

namespace Engine.Models.BiomedClipSeg;

/// <summary>Loads a BiomedCLIPSeg model folder (config.json model_type "biomedclipseg", model.safetensors, BiomedBERT
/// tokenizer files, preprocessor_config.json) as written by <c>engine init --family biomedclipseg</c> or by training.</summary>
public static class BiomedClipSegLoader
{
    public static BiomedClipSegConfig ReadConfig(ModelFolder folder)
    {
        if (folder.Layout != ModelFolderLayout.HuggingFace || folder.ModelType != BiomedClipSegConfig.ModelType)
            throw new InvalidDataException($"'{folder.Path}' is not a BiomedCLIPSeg folder (config.json model_type must be \"{BiomedClipSegConfig.ModelType}\").");
        return BiomedClipSegConfig.FromJson(folder.Config!);
    }

    public static BiomedClipSegModel Load(ModelFolder folder, Device device)
    {
        var config = ReadConfig(folder);
        var file = folder.FindFile(ModelFolder.HuggingFaceWeightFiles)
                   ?? throw new FileNotFoundException($"Model folder '{folder.Path}' has no weights: expected one of {string.Join(", ", ModelFolder.HuggingFaceWeightFiles)}.");
        BiomedClipSegModel model;
        using (Tensor.WithoutRandomInit()) model = new BiomedClipSegModel(config); // every value comes from the checkpoint
        model.LoadStateDict(WeightFiles.Load(file), k => k.StartsWith("biomedclip.", StringComparison.Ordinal) && BiomedClipFolder.IsIgnorable(k["biomedclip.".Length..]), file);
        model.To(device);
        model.Eval();
        return model;
    }

    public static BiomedClipSegModel Load(string folder, Device device) => Load(ModelFolder.Open(folder), device);

    public static BiomedClipTokenizer LoadTokenizer(ModelFolder folder, BiomedClipSegConfig config)
    {
        var tok = BiomedClipTokenizer.FromFolder(folder.Path, config.BiomedClip.ContextLength);
        tok.CheckAgainst(config.BiomedClip.Text.VocabSize, folder.Path);
        return tok;
    }

    /// <summary>How query images are prepared: the folder's preprocessor_config.json; without one, a squash resize to
    /// the ViT's size (the study's training resize, which keeps the mask aligned with the whole image; open_clip's
    /// centre crop would cut the borders off), bicubic as BiomedCLIP was trained, /255, OpenAI CLIP mean/std.</summary>
    public static PreprocessorConfig Preprocessing(ModelFolder folder, BiomedClipSegConfig config)
    {
        var c = config.BiomedClip;
        var fallback = new PreprocessorConfig
        {
            Width = c.Vision.ImageSize, Height = c.Vision.ImageSize, Resample = ResampleFilter.Bicubic,
            Mean = (float[])c.Mean.Clone(), Std = (float[])c.Std.Clone(),
        };
        return PreprocessorConfig.FromFolder(folder.Path, fallback);
    }
}
