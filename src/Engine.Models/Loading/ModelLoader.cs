using Engine.Nn;

namespace Engine.Models.Loading;

/// <summary>Common tail of every loader: build the module without drawing initial values (the checkpoint replaces
/// every one: <see cref="Tensor.WithoutRandomInit"/>), strict weight load, move to the device, eval mode.</summary>
public static class ModelLoader
{
    public static T LoadHuggingFace<T>(ModelFolder folder, Func<T> build, Device device) where T : Module
    {
        var file = folder.FindFile(ModelFolder.HuggingFaceWeightFiles)
                   ?? throw new FileNotFoundException($"Model folder '{folder.Path}' has no weights: expected one of {string.Join(", ", ModelFolder.HuggingFaceWeightFiles)}.");
        var state = WeightFiles.Load(file);
        T model;
        using (Tensor.WithoutRandomInit()) model = build();
        StrictLoading.Load(model, state, file);
        model.To(device);
        model.Eval();
        return model;
    }
}
