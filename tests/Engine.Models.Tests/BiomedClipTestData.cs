using Engine.Weights;
using Xunit;

namespace Engine.Models.Tests;

/// <summary>Golden-data access and tolerance checks for the BERT / BiomedCLIP tests.</summary>
internal static class BiomedClipTestData
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Engine.sln not found above " + AppContext.BaseDirectory);
    });

    public static string RepoRoot => Root.Value;
    public static string Golden(string name) => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "golden", name));
    public static string BertTiny => Golden("bert_tiny");
    public static string BiomedClipTiny => Golden("biomedclip_tiny");
    public static string ClipSegTiny => Golden("clipseg_tiny_refined");

    public static Dictionary<string, Tensor> Read(string folder, string file) => SafetensorsFile.ReadAll(Path.Combine(folder, file));

    /// <summary>max|ours - ref| over the tensor (shapes must agree).</summary>
    public static double MaxAbsDiff(Tensor ours, Tensor reference)
    {
        Assert.Equal(reference.Shape, ours.Shape);
        var a = ours.ToArray(); var b = reference.ToArray();
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }

    public static double MaxAbs(Tensor t) => t.ToArray().Select(x => Math.Abs((double)x)).DefaultIfEmpty(0).Max();

    /// <summary>Asserts max|ours - ref| &lt;= atol + rtol * max|ref| and returns the observed max difference.</summary>
    public static double AssertClose(string name, Tensor ours, Tensor reference, double rtol, double atol)
    {
        Assert.True(reference.Shape.SequenceEqual(ours.Shape), $"{name}: shape {Shape.Format(ours.Shape)} vs reference {Shape.Format(reference.Shape)}");
        double diff = MaxAbsDiff(ours, reference), bound = atol + rtol * MaxAbs(reference);
        Assert.True(diff <= bound, $"{name}: max|diff| {diff:E3} exceeds {bound:E3} (max|ref| {MaxAbs(reference):E3})");
        return diff;
    }
}
