using System.Globalization;
using Engine.Models.Loading;

namespace Engine.Models.BiomedClipSeg;

/// <summary>
/// <c>engine init --family biomedclipseg --biomedclip DIR [--decoder-from CLIPSEG_DIR] --out DIR</c>
/// (options "biomedclip", "decoder-from", "extract-layers" as "3,6,9", "extract-offset"); without --biomedclip,
/// <c>--preset tiny|base --vocab DIR</c> gives random encoders.
/// </summary>
public sealed class BiomedClipSegInitializer : IModelInitializer
{
    public string Family => BiomedClipSegConfig.ModelType;

    public IReadOnlyList<string> Presets => new[] { "tiny", "base" };

    public string Initialize(ModelInitRequest request)
    {
        var o = request.Options;
        string? Opt(string k) => o.TryGetValue(k, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
        var biomedclip = Opt("biomedclip");
        var r = new BiomedClipSegBuildRequest
        {
            BiomedClipDir = biomedclip,
            Preset = request.Preset ?? "base",
            DecoderFromDir = Opt("decoder-from"),
            VocabDir = request.VocabDir,
            ExtractLayers = Opt("extract-layers") is { } el ? ParseInts(el, "extract-layers") : null,
            ExtractBlockOffset = Opt("extract-offset") is { } eo ? ParseInts(eo, "extract-offset").Single() : null,
            Seed = request.Seed,
        };
        var model = BiomedClipSegBuilder.Build(r);
        return BiomedClipSegBuilder.WriteFolder(request.OutDir, model, biomedclip, request.VocabDir);
    }

    private static int[] ParseInts(string s, string name)
    {
        try { return s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new ArgumentException($"--{name} expects comma-separated integers (e.g. 3,6,9), got '{s}'."); }
    }
}
