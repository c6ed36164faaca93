using System.Reflection;
using Engine.Models.Loading;

namespace Engine.Training.Models;

/// <summary>Opens a model folder for training with the adapter of its family. Adapters implement
/// <see cref="ITrainableFamily"/> with a public parameterless constructor and are discovered by reflection in this
/// assembly, so adding a family (CRIS) is adding a file; hosts may <see cref="Register"/> more.</summary>
public static class TrainableModels
{
    private static readonly object Gate = new();
    private static List<ITrainableFamily>? _families;

    public static IReadOnlyList<ITrainableFamily> Families { get { lock (Gate) return (_families ??= Discover()).ToList(); } }

    public static void Register(ITrainableFamily family) { lock (Gate) (_families ??= Discover()).Add(family); }

    /// <summary>Loads <paramref name="folder"/> onto <paramref name="device"/>; a clear error when its family cannot be trained.</summary>
    public static ITrainableSegmentationModel Open(ModelFolder folder, Device device)
    {
        var family = ModelFamilies.Detect(folder);
        var adapter = Families.FirstOrDefault(f => string.Equals(f.Family, family.Name, StringComparison.OrdinalIgnoreCase))
                      ?? throw new NotSupportedException($"'{folder.Path}' is a {family.Name} model, which cannot be trained yet (trainable families: {string.Join(", ", Families.Select(f => f.Family))}).");
        return adapter.Open(folder, device);
    }

    public static ITrainableSegmentationModel Open(string folder, Device device) => Open(ModelFolder.Open(folder), device);

    private static List<ITrainableFamily> Discover()
        => typeof(TrainableModels).Assembly.GetTypes()
            .Where(t => typeof(ITrainableFamily).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false } && t.GetConstructor(Type.EmptyTypes) != null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (ITrainableFamily)Activator.CreateInstance(t)!)
            .ToList();
}

/// <summary>Loads folders of one model family as <see cref="ITrainableSegmentationModel"/>.</summary>
public interface ITrainableFamily
{
    /// <summary>Matches <see cref="IModelFamily.Name"/>.</summary>
    string Family { get; }

    ITrainableSegmentationModel Open(ModelFolder folder, Device device);
}
