using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Weights;

namespace Engine.Models.BiomedClip;

/// <summary>Writes open_clip-layout BiomedCLIP folders and the shared tokenizer/preprocessor files.</summary>
public static class BiomedClipFolderWriter
{
    /// <summary>Tokenizer files copied between folders when present (vocab.txt is the one that matters).</summary>
    public static readonly string[] TokenizerFiles = { "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json" };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// open_clip_config.json (hub form), arch.json (every number explicit, so tiny/non-standard sizes reload exactly),
    /// text_config.json (the HF BertConfig), open_clip_model.safetensors, and the tokenizer files of
    /// <paramref name="tokenizerDir"/> when given.
    /// </summary>
    public static void Write(string outDir, BiomedClipModel model, string? tokenizerDir)
    {
        Directory.CreateDirectory(outDir);
        var c = model.Config;
        var openClip = new JsonObject
        {
            ["model_cfg"] = new JsonObject
            {
                ["embed_dim"] = c.EmbedDim,
                ["vision_cfg"] = new JsonObject
                {
                    ["timm_model_name"] = c.TimmModelName, ["timm_model_pretrained"] = false, ["timm_pool"] = "",
                    ["timm_proj"] = "linear", ["image_size"] = c.Vision.ImageSize,
                },
                ["text_cfg"] = new JsonObject
                {
                    ["hf_model_name"] = c.HfModelName, ["hf_tokenizer_name"] = c.HfModelName, ["hf_proj_type"] = "mlp",
                    ["hf_pooler_type"] = "cls_last_hidden_state_pooler", ["context_length"] = c.ContextLength,
                },
            },
            ["preprocess_cfg"] = new JsonObject
            {
                ["mean"] = new JsonArray(c.Mean.Select(x => (JsonNode)x).ToArray()),
                ["std"] = new JsonArray(c.Std.Select(x => (JsonNode)x).ToArray()),
            },
        };
        File.WriteAllText(Path.Combine(outDir, "open_clip_config.json"), openClip.ToJsonString(Indented));
        var arch = c.ToJson();
        arch["note"] = "explicit hyper-parameters written by engine init (open_clip_config.json only names the timm and HF models)";
        arch["vision"]!["heads"] = c.Vision.Heads;
        var text = (JsonObject)arch["text"]!;
        text["context_length"] = c.ContextLength;
        File.WriteAllText(Path.Combine(outDir, "arch.json"), arch.ToJsonString(Indented));
        File.WriteAllText(Path.Combine(outDir, "text_config.json"), JsonSerializer.Serialize(c.Text.ToJsonFields(), Indented));
        SafetensorsFile.Write(Path.Combine(outDir, "open_clip_model.safetensors"), model.StateDict(),
            new Dictionary<string, string> { ["format"] = "pt", ["written_by"] = "engine init --family biomedclip" });
        if (tokenizerDir is not null) CopyTokenizer(tokenizerDir, outDir);
    }

    /// <summary>Copies the BERT tokenizer files found in <paramref name="fromDir"/>; false when it has no vocab.txt.</summary>
    public static bool CopyTokenizer(string fromDir, string outDir)
    {
        if (!File.Exists(Path.Combine(fromDir, "vocab.txt"))) return false;
        foreach (var f in TokenizerFiles)
        {
            var src = Path.Combine(fromDir, f);
            if (File.Exists(src) && Path.GetFullPath(src) != Path.GetFullPath(Path.Combine(outDir, f))) File.Copy(src, Path.Combine(outDir, f), overwrite: true);
        }
        return true;
    }

    /// <summary>Number of lines of a vocab.txt (its vocabulary size).</summary>
    public static int VocabSize(string dir) => File.ReadLines(Path.Combine(dir, "vocab.txt")).Count();
}
