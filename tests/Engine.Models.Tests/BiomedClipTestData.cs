using Engine.Tests;
using Engine.Weights;
using Xunit;

namespace Engine.Models.Tests;

/// <summary>Golden-data access and tolerance checks for the BERT / BiomedCLIP tests.</summary>
internal static class BiomedClipTestData
{
    public static string Golden(string name) => RepoPaths.Golden(name);
    public static string BiomedBertVocab => RepoPaths.Vocab("biomedbert");
    public static string BertTiny => Golden("bert_tiny");
    public static string BiomedClipTiny => Golden("biomedclip_tiny");
    public static string ClipSegTiny => Golden("clipseg_tiny_refined");

    public static Dictionary<string, Tensor> Read(string folder, string file) => SafetensorsFile.ReadAll(Path.Combine(folder, file));

    /// <summary>max|ours - ref| over the tensor (shapes must agree; a NaN gives infinity).</summary>
    public static double MaxAbsDiff(Tensor ours, Tensor reference)
    {
        Assert.Equal(reference.Shape, ours.Shape);
        return ClipGolden.MaxAbsDiff(ours, reference);
    }

    public static double MaxAbs(Tensor t) => ClipGolden.MaxAbs(t);

    /// <summary>Asserts max|ours - ref| &lt;= atol + rtol * max|ref| and returns the observed max difference.</summary>
    public static double AssertClose(string name, Tensor ours, Tensor reference, double rtol, double atol)
    {
        Assert.True(reference.Shape.SequenceEqual(ours.Shape), $"{name}: shape {Shape.Format(ours.Shape)} vs reference {Shape.Format(reference.Shape)}");
        double diff = MaxAbsDiff(ours, reference), bound = atol + rtol * MaxAbs(reference);
        Assert.True(diff <= bound, $"{name}: max|diff| {diff:E3} exceeds {bound:E3} (max|ref| {MaxAbs(reference):E3})");
        return diff;
    }
}
