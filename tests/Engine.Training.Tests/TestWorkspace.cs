using Engine.Tests;
using Engine.Data.Converters;
using Engine.Data.Synthetic;
using Engine.Models.Loading;
using Xunit;

namespace Engine.Training.Tests;

/// <summary>Shared inputs of the training tests, made once per test run: a small synthetic dataset (the demo's
/// generator) and a random tiny CLIPSeg made with the real CLIP vocabulary (../shared/vocab/clip).</summary>
public sealed class TestWorkspace : IDisposable
{
    public TestWorkspace()
    {
        Root = Directory.CreateTempSubdirectory("engine-training-tests-").FullName;
        Data = Path.Combine(Root, "data");
        SyntheticDatasetGenerator.Generate(new SyntheticOptions
        {
            OutputDir = Data, Count = 15, Seed = 7, Size = 48, ObjectsPerImage = 2,
            Split = SplitSpec.Parse("9,3,3"),
        }, NullConversionLog.Instance);
        Model = Path.Combine(Root, "tiny");
        ModelFamilies.Initializer("clipseg").Initialize(new ModelInitRequest(Model, "tiny", ClipVocab, 3, new Dictionary<string, string>()));
    }

    public string Root { get; }
    /// <summary>Synthetic dataset: 9/3/3 images (18/6/6 records), 48x48.</summary>
    public string Data { get; }
    /// <summary>Random tiny CLIPSeg folder (96x96 inputs).</summary>
    public string Model { get; }

    public string NewDir(string name) => Path.Combine(Directory.CreateTempSubdirectory($"{name}-").FullName);

    public static string RepositoryRoot => RepoPaths.Root;

    public static string ClipVocab => RepoPaths.Vocab("clip");

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("training")]
public sealed class TrainingCollection : ICollectionFixture<TestWorkspace> { }
