namespace Engine.Imaging.Tests;

/// <summary>Locates the repository root (the folder with Engine.sln), the shared reference data and a scratch folder.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string DataFile(string name) => Path.Combine(RepoRoot, "tests", "Engine.Imaging.Tests", "Data", name);

    /// <summary>A new empty temporary folder (the caller deletes it).</summary>
    public static string NewTempFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "engine-imaging-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"No folder containing Engine.sln above '{AppContext.BaseDirectory}'.");
    }
}
