using System.Globalization;
using Engine.Models.Loading;

namespace Engine.Models.BiomedClip;

/// <summary>
/// <c>engine init --family biomedclip --preset tiny|base --vocab DIR --out DIR [--seed N]</c>: a random-initialised
/// BiomedCLIP in the open_clip layout (for benchmarks and tests without a download). "base" is the released
/// architecture; "tiny" has the golden case's sizes (ViT width 64, depth 3, BERT hidden 64, 2 layers, 64x64 images).
/// The vocabulary size follows the vocab.txt given.
/// </summary>
public sealed class BiomedClipInitializer : IModelInitializer
{
    public string Family => "biomedclip";

    public IReadOnlyList<string> Presets => new[] { "tiny", "base" };

    public static BiomedClipConfig Preset(string name, int vocabSize) => name switch
    {
        "base" => BiomedClipConfig.Base with { Text = BiomedClipConfig.Base.Text with { VocabSize = vocabSize } },
        "tiny" => new BiomedClipConfig
        {
            EmbedDim = 32,
            TimmModelName = "vit_tiny_random_patch16_64",
            HfModelName = "tiny-biomedbert",
            Vision = new TimmVitConfig { ImageSize = 64, PatchSize = 16, Width = 64, Depth = 3, Heads = 4, MlpHidden = 256 },
            Text = new Bert.BertConfig
            {
                VocabSize = vocabSize, HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 256,
                MaxPositionEmbeddings = 256, AddPoolingLayer = false,
            },
        },
        _ => throw new ArgumentException($"Unknown biomedclip preset '{name}' (tiny, base)."),
    };

    public string Initialize(ModelInitRequest request)
    {
        string preset = request.Preset ?? "base";
        string vocabDir = request.VocabDir ?? throw new ArgumentException("engine init --family biomedclip needs --vocab DIR (a folder with the BiomedBERT vocab.txt, e.g. ../shared/vocab/biomedbert).");
        if (!File.Exists(Path.Combine(vocabDir, "vocab.txt"))) throw new FileNotFoundException($"No vocab.txt in '{vocabDir}'.", Path.Combine(vocabDir, "vocab.txt"));
        var config = Preset(preset, BiomedClipFolderWriter.VocabSize(vocabDir));
        var model = new BiomedClipModel(config, request.Seed);
        BiomedClipFolderWriter.Write(request.OutDir, model, vocabDir);
        return string.Create(CultureInfo.InvariantCulture, $"BiomedCLIP ({preset}, random, seed {request.Seed}): {model.ParameterCount():N0} parameters -> {request.OutDir}");
    }
}
