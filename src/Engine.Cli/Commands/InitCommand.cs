using System.CommandLine;
using Engine.Models.Loading;

namespace Engine.Cli.Commands;

/// <summary>`engine init --family NAME [--preset P] [--vocab DIR] --out DIR [--seed N]`: writes a random-initialised model
/// folder that every other command accepts. Families register an IModelInitializer in Engine.Models; family-specific
/// sources (--biomedclip, --decoder-from, --clip-backbone) are passed through to it.</summary>
public sealed class InitCommand : ICliCommand
{
    public Command Build()
    {
        var family = new Option<string>("--family") { Description = "Model family (e.g. clipseg).", Required = true };
        var preset = new Option<string?>("--preset") { Description = "Architecture preset (clipseg: tiny, rd64-refined)." };
        var vocab = new Option<string?>("--vocab") { Description = "Tokenizer folder to copy (CLIP: vocab.json + merges.txt)." };
        var output = new Option<string>("--out") { Description = "Folder to write.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 0 };
        var biomedclip = new Option<string?>("--biomedclip") { Description = "BiomedCLIPSeg: BiomedCLIP folder to take the encoders from." };
        var decoderFrom = new Option<string?>("--decoder-from") { Description = "BiomedCLIPSeg-D: CLIPSeg folder to copy the decoder from." };
        var clipBackbone = new Option<string?>("--clip-backbone") { Description = "CRIS: OpenAI CLIP checkpoint to start from." };
        var extractLayers = new Option<string?>("--extract-layers") { Description = "BiomedCLIPSeg: CLIPSeg-convention layers, e.g. 3,6,9 (default: the CLIPSeg folder's)." };
        var extractOffset = new Option<string?>("--extract-offset") { Description = "BiomedCLIPSeg: ViT block = layer + offset (default 1, the study's choice; 0 = CLIPSeg's)." };
        var cmd = new Command("init", "Write a random-initialised model folder.") { family, preset, vocab, output, seed, biomedclip, decoderFrom, clipBackbone, extractLayers, extractOffset };
        cmd.SetAction(p =>
        {
            var extra = new Dictionary<string, string>(StringComparer.Ordinal);
            void Pass(string key, Option<string?> o) { if (p.GetValue(o) is { } v) extra[key] = v; }
            Pass("biomedclip", biomedclip); Pass("decoder-from", decoderFrom); Pass("clip-backbone", clipBackbone);
            Pass("extract-layers", extractLayers); Pass("extract-offset", extractOffset);
            var init = ModelFamilies.Initializer(p.GetValue(family)!);
            Console.WriteLine(init.Initialize(new ModelInitRequest(p.GetValue(output)!, p.GetValue(preset), p.GetValue(vocab), p.GetValue(seed), extra)));
            return 0;
        });
        return cmd;
    }
}
