using Engine.Tests;

namespace Engine.Imaging.Tests;

/// <summary>This project's paths: the repository and reference data (<see cref="RepoPaths"/>), its data files, a scratch folder.</summary>
internal static class TestPaths
{
    public static string RepoRoot => RepoPaths.Root;

    public static string Shared => RepoPaths.Shared;

    public static string DataFile(string name) => Path.Combine(RepoRoot, "tests", "Engine.Imaging.Tests", "Data", name);

    /// <summary>A new empty temporary folder (the caller deletes it).</summary>
    public static string NewTempFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "engine-imaging-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
