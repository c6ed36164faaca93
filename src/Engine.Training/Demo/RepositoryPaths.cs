namespace Engine.Training.Demo;

/// <summary>Finds the repository (the folder holding Engine.sln) and the shared reference data next to it.</summary>
public static class RepositoryPaths
{
    public const string ClipVocabDownload =
        "https://huggingface.co/CIDAS/clipseg-rd64-refined (or openai/clip-vit-base-patch16): download vocab.json and merges.txt into a folder and pass it with --vocab DIR";

    /// <summary>The first folder holding Engine.sln above the current directory or the executable; null when none.</summary>
    public static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir.FullName;
        }
        return null;
    }

    /// <summary>
    /// The CLIP vocabulary folder (vocab.json + merges.txt): <paramref name="explicitDir"/> when given, otherwise
    /// <c>../shared/vocab/clip</c> next to the repository. A clear error says where to get it when it is missing.
    /// </summary>
    public static string FindClipVocabulary(string? explicitDir)
    {
        if (explicitDir is not null)
        {
            if (!HasVocab(explicitDir))
                throw new FileNotFoundException($"--vocab '{explicitDir}' does not hold the CLIP vocabulary (vocab.json and merges.txt). Get it from {ClipVocabDownload}.");
            return Path.GetFullPath(explicitDir);
        }
        var root = FindRepositoryRoot();
        var candidate = root is null ? null : Path.GetFullPath(Path.Combine(root, "..", "shared", "vocab", "clip"));
        if (candidate is not null && HasVocab(candidate)) return candidate;
        var where = candidate is null
            ? "no folder holding Engine.sln was found above the current directory, so ../shared/vocab/clip could not be located"
            : $"'{candidate}' does not hold vocab.json and merges.txt";
        throw new FileNotFoundException($"The demo needs the real CLIP vocabulary, and {where}. Get it from {ClipVocabDownload}.");
    }

    private static bool HasVocab(string dir) => File.Exists(Path.Combine(dir, "vocab.json")) && File.Exists(Path.Combine(dir, "merges.txt"));
}
