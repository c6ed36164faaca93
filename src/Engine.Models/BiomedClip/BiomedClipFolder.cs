using Engine.Models.Bert;
using Engine.Models.Loading;

namespace Engine.Models.BiomedClip;

/// <summary>
/// Loads an open_clip BiomedCLIP folder as downloaded from the hub (<c>open_clip_config.json</c> +
/// <c>open_clip_model.safetensors</c> or <c>open_clip_pytorch_model.bin</c>, plus the BERT tokenizer files).
/// Key names are open_clip's exactly; the stale <c>text.transformer.embeddings.position_ids</c> buffer of the released
/// <c>.bin</c> is accepted and ignored (open_clip deletes it on load too).
/// </summary>
public static class BiomedClipFolder
{
    public const string ConfigFile = "open_clip_config.json";
    public static readonly string[] WeightNames = { "open_clip_model.safetensors", "open_clip_pytorch_model.bin" };

    public static bool IsOpenClipFolder(string dir) => File.Exists(Path.Combine(dir, ConfigFile));

    /// <summary>The weight file that <see cref="Load(string, Device?)"/> reads (safetensors preferred).</summary>
    public static string FindWeights(string dir)
    {
        foreach (var n in WeightNames)
        {
            var p = Path.Combine(dir, n);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"{dir} has {ConfigFile} but no weights ({string.Join(" or ", WeightNames)}).");
    }

    /// <summary>Known non-parameter keys a BiomedCLIP checkpoint may carry.</summary>
    public static bool IsIgnorable(string key)
        => key.StartsWith("text.transformer.", StringComparison.Ordinal) && BertCheckpoint.IsIgnorable(key);

    public static BiomedClipModel Load(string dir, Device? device = null) => Load(dir, FindWeights(dir), device);

    /// <summary>Loads with an explicit weight file (e.g. to compare the .bin and safetensors forms).</summary>
    public static BiomedClipModel Load(string dir, string weightsPath, Device? device = null)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Model folder not found: {dir}");
        var state = WeightFiles.Load(weightsPath);
        var config = BiomedClipConfig.Resolve(dir, state);
        BiomedClipModel model;
        using (Tensor.WithoutRandomInit()) model = new BiomedClipModel(config); // every value comes from the checkpoint
        model.LoadStateDict(state, IsIgnorable, weightsPath);
        if (device is { } d) model.To(d);
        model.Eval();
        return model;
    }
}
