namespace Engine.Tests;

/// <summary>Where every test project finds the repository (the folder holding Engine.sln, found above the test
/// binaries) and the read-only reference data beside it (<c>../shared</c>). Compiled into each test project through
/// tests/Directory.Build.props, so no test project depends on another for it.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootFolder = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"No folder containing Engine.sln above '{AppContext.BaseDirectory}'.");
    });

    public static string Root => RootFolder.Value;

    /// <summary>The shared reference data: golden cases and vocabularies.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    /// <summary>A golden case folder, or a file in it.</summary>
    public static string Golden(string caseName, string? file = null)
        => file is null ? Path.Combine(Shared, "golden", caseName) : Path.Combine(Shared, "golden", caseName, file);

    /// <summary>A vocabulary folder under shared/vocab (clip, biomedbert).</summary>
    public static string Vocab(string name) => Path.Combine(Shared, "vocab", name);
}
