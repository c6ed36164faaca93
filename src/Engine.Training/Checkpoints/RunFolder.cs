namespace Engine.Training.Checkpoints;

/// <summary>
/// A training run's folder: <c>last/</c> and <c>best/</c> (complete model folders plus optimizer and trainer state),
/// <c>run.json</c> (the options), <c>metrics.csv</c> and <c>curves.png</c>.
/// <para>Checkpoints are replaced atomically: the new one is written to a hidden temporary folder, which counts as
/// complete only once its <c>trainer_state.json</c> (written last) exists; then the current folder is renamed
/// aside, the new one renamed into place, and the old one deleted. A run killed at any moment leaves either the old
/// or the new checkpoint under the name, or — killed between the two renames — the old one aside, which
/// <see cref="Recover"/> puts back. <c>best/</c> is never seen half-written.</para>
/// </summary>
public sealed class RunFolder
{
    public const string Last = "last";
    public const string Best = "best";
    public const string RunFileName = "run.json";
    public const string MetricsFileName = "metrics.csv";
    public const string CurvesFileName = "curves.png";
    public const string OptimizerFileName = "optimizer.safetensors";

    public RunFolder(string root)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new ArgumentException("No run folder given.");
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }
    public string LastDir => Path.Combine(Root, Last);
    public string BestDir => Path.Combine(Root, Best);
    public string RunFile => Path.Combine(Root, RunFileName);
    public string MetricsFile => Path.Combine(Root, MetricsFileName);
    public string CurvesFile => Path.Combine(Root, CurvesFileName);

    /// <summary>True when <paramref name="dir"/> holds a finished checkpoint.</summary>
    public static bool IsComplete(string dir) => File.Exists(Path.Combine(dir, TrainerStateFile.FileName));

    public bool HasCheckpoint(string name) => IsComplete(Path.Combine(Root, name));

    /// <summary>
    /// Writes checkpoint <paramref name="name"/>: <paramref name="fill"/> writes everything into an empty temporary
    /// folder (trainer_state.json last, which marks it complete); then it replaces the current one.
    /// If <paramref name="fill"/> throws, the current checkpoint is untouched and the temporary folder removed.
    /// </summary>
    public void WriteCheckpoint(string name, Action<string> fill)
    {
        Directory.CreateDirectory(Root);
        var final = Path.Combine(Root, name);
        var tmp = Path.Combine(Root, $".{name}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(tmp);
            fill(tmp);
            if (!IsComplete(tmp)) throw new InvalidOperationException($"Checkpoint '{name}' was written without {TrainerStateFile.FileName}.");
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        string? aside = null;
        if (Directory.Exists(final))
        {
            aside = Path.Combine(Root, $".{name}.old-{Guid.NewGuid():N}");
            Directory.Move(final, aside);
        }
        Directory.Move(tmp, final);
        if (aside != null) TryDelete(aside);
    }

    /// <summary>
    /// Repairs what an interrupted <see cref="WriteCheckpoint"/> left: a checkpoint renamed aside but not replaced is
    /// put back (the previous, consistent state), and leftover temporary or old folders are deleted.
    /// Returns a description of what was repaired (empty when nothing was).
    /// </summary>
    public IReadOnlyList<string> Recover()
    {
        var notes = new List<string>();
        if (!Directory.Exists(Root)) return notes;
        foreach (var name in new[] { Last, Best })
        {
            var final = Path.Combine(Root, name);
            var olds = Directory.EnumerateDirectories(Root, $".{name}.old-*").Where(IsComplete).ToList();
            if (!IsComplete(final) && olds.Count > 0)
            {
                if (Directory.Exists(final)) TryDelete(final);
                Directory.Move(olds[0], final);
                notes.Add($"restored {name}/ from an interrupted checkpoint write");
            }
            foreach (var leftover in Directory.EnumerateDirectories(Root, $".{name}.old-*").Concat(Directory.EnumerateDirectories(Root, $".{name}.tmp-*")).ToList())
            {
                TryDelete(leftover);
                notes.Add($"removed leftover {Path.GetFileName(leftover)}");
            }
        }
        return notes;
    }

    /// <summary>Writes a file through a temporary file and a rename, so readers never see half of it.</summary>
    public static void WriteFileAtomic(string path, Action<string> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.tmp-{Guid.NewGuid():N}{Path.GetExtension(path)}");
        try
        {
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
