namespace Engine.Data.Tests;

/// <summary>Reads every file under a folder into a path -> bytes map, for byte-identical comparisons.</summary>
public static class FolderSnapshot
{
    public static Dictionary<string, byte[]> Take(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes);

    public static Dictionary<string, DateTime> Times(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.GetLastWriteTimeUtc);
}
