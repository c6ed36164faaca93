using Engine.Nn;

namespace Engine.Models.Loading;

/// <summary>Common tail of every loader: strict weight load, move to the device, eval mode.</summary>
public static class ModelLoader
{
    public static T LoadHuggingFace<T>(ModelFolder folder, T model, Device device) where T : Module
    {
        var file = folder.FindFile(ModelFolder.HuggingFaceWeightFiles)
                   ?? throw new FileNotFoundException($"Model folder '{folder.Path}' has no weights: expected one of {string.Join(", ", ModelFolder.HuggingFaceWeightFiles)}.");
        var state = WeightFiles.Load(file);
        StrictLoading.Load(model, state, file);
        model.To(device);
        model.Eval();
        return model;
    }
}
