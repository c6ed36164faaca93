using Engine.Tests;

namespace Engine.Weights.Tests;

/// <summary>The repository and the read-only reference data beside it (<see cref="RepoPaths"/>), by golden case.</summary>
internal static class TestPaths
{
    public static string RepoRoot => RepoPaths.Root;
    public static string Shared => RepoPaths.Shared;
    public static string Golden(string caseName, string file) => RepoPaths.Golden(caseName, file);
}

/// <summary>A scratch folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "engine-weights-tests-" + Guid.NewGuid().ToString("N")[..12]);
    public TempDir() => Directory.CreateDirectory(Path);
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
