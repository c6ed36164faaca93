namespace Engine.Data;

/// <summary>Writes files only when their content changes, through a temporary file and a rename, so re-running a
/// converter leaves byte-identical files untouched (timestamps included) and a killed run leaves no half file.</summary>
public static class FileOutput
{
    /// <returns>true when the file was (re)written.</returns>
    public static bool WriteIfChanged(string path, ReadOnlySpan<byte> content)
    {
        if (File.Exists(path))
        {
            var info = new FileInfo(path);
            if (info.Length == content.Length && content.SequenceEqual(File.ReadAllBytes(path))) return false;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp" + Environment.ProcessId;
        File.WriteAllBytes(tmp, content.ToArray());
        File.Move(tmp, path, overwrite: true);
        return true;
    }

    public static bool WriteTextIfChanged(string path, string text) =>
        WriteIfChanged(path, new System.Text.UTF8Encoding(false).GetBytes(text));
}
