namespace Engine.Text.Tests;

/// <summary>Locates the repository root (the folder with Engine.sln) and the shared reference data beside it.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string SharedPath(params string[] parts) => Path.Combine(new[] { Shared }.Concat(parts).ToArray());

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException(
            $"No folder containing Engine.sln above '{AppContext.BaseDirectory}'.");
    }
}
