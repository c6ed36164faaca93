using Engine.Models.Loading;

namespace Engine.Models.Bert;

/// <summary>Loads a Hugging Face BERT folder (config.json with model_type bert + model.safetensors, sharded
/// safetensors or pytorch_model.bin).</summary>
public static class BertFolder
{
    public static bool IsBertFolder(ModelFolder folder) => folder.Layout == ModelFolderLayout.HuggingFace && folder.ModelType == "bert";

    public static BertModel Load(string dir, Device? device = null) => Load(ModelFolder.Open(dir), device);

    /// <summary>Config from config.json; the pooler exists exactly when the checkpoint has one; strict key match
    /// after <see cref="BertCheckpoint.Normalize"/>.</summary>
    public static BertModel Load(ModelFolder folder, Device? device = null)
    {
        if (!IsBertFolder(folder)) throw new InvalidDataException($"'{folder.Path}' is not a BERT folder (config.json model_type must be \"bert\").");
        var config = BertConfig.FromJsonFile(folder.DescriptorFile);
        var state = BertCheckpoint.Normalize(folder.LoadHuggingFaceWeights());
        config = config with { AddPoolingLayer = BertCheckpoint.HasPooler(state) };
        BertModel model;
        using (Tensor.WithoutRandomInit()) model = new BertModel(config); // every value comes from the checkpoint
        model.LoadStateDict(state, BertCheckpoint.IsIgnorable, folder.Path);
        if (device is { } d) model.To(d);
        model.Eval();
        return model;
    }
}
