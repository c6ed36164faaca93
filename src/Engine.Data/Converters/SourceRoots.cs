namespace Engine.Data.Converters;

/// <summary>Finds the dataset folder inside what the user pointed at: archives unpack into a named top folder
/// (Kvasir-SEG/, CVC-ClinicDB/, ...), so when SRC lacks the probe entry but one of the usual top folders (or SRC's
/// only sub-folder) has it, that folder is used.</summary>
public static class SourceRoots
{
    public static string Locate(string src, string dataset, string expectedLayout, string probe, params string[] usualTopFolders) =>
        Locate(src, dataset, expectedLayout, [probe], usualTopFolders);

    /// <summary>The first of SRC, SRC/top for each usual top folder, or SRC's only sub-folder that contains any of
    /// <paramref name="probes"/>; SRC itself when none does (the caller then names what is missing).</summary>
    public static string Locate(string src, string dataset, string expectedLayout, IReadOnlyList<string> probes, params string[] usualTopFolders)
    {
        SourceFiles.RequireSourceDir(src, dataset, expectedLayout);
        var candidates = new List<string> { src };
        candidates.AddRange(usualTopFolders.Select(t => Path.Combine(src, t)));
        var subs = Directory.GetDirectories(src);
        if (subs.Length == 1) candidates.Add(subs[0]);
        foreach (var c in candidates)
            if (probes.Any(p => Exists(Path.Combine(c, p)))) return c;
        return src;
    }

    static bool Exists(string path) => Directory.Exists(path) || File.Exists(path);
}
