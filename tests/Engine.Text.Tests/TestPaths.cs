using Engine.Tests;

namespace Engine.Text.Tests;

/// <summary>The repository and the shared reference data beside it (<see cref="RepoPaths"/>).</summary>
internal static class TestPaths
{
    public static string RepoRoot => RepoPaths.Root;

    public static string Shared => RepoPaths.Shared;

    public static string SharedPath(params string[] parts) => Path.Combine(new[] { Shared }.Concat(parts).ToArray());
}
