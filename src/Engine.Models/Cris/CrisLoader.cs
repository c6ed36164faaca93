using Engine.Models.Loading;
using Engine.Text.Clip;
using Engine.Weights;

namespace Engine.Models.Cris;

/// <summary>
/// Loads a CRIS model folder: the CRIS yaml config (any *.yaml; TRAIN keys as in config/refcoco/cris_r50.yaml) and the
/// weights — <c>model.safetensors</c>, or the <c>.pth</c> CRIS's train.py writes ({epoch, cur_iou, best_iou, prec,
/// state_dict, optimizer, scheduler}; <c>module.</c> prefixes stripped; read without executing code). The CLIP
/// backbone's sizes are inferred from the weights as CRIS's build_model does; loading is strict (every key, every
/// shape, nothing extra).
/// </summary>
public static class CrisLoader
{
    /// <summary>The folder's yaml config.</summary>
    public static CrisConfig ReadConfig(ModelFolder folder)
    {
        if (folder.Layout != ModelFolderLayout.CrisYaml)
            throw new InvalidDataException($"'{folder.Path}' is not a CRIS folder (it needs a CRIS *.yaml config next to the weights).");
        return CrisConfig.Load(folder.DescriptorFile);
    }

    /// <summary>The weights file of a CRIS folder: model.safetensors, else the single *.pth/*.pt.</summary>
    public static string WeightsFile(ModelFolder folder) => CheckpointReader.ResolveWeightsFile(folder.Path);

    public static CrisModel Load(ModelFolder folder, Device device) => Load(ReadConfig(folder), WeightsFile(folder), device);

    public static CrisModel Load(string folder, Device device) => Load(ModelFolder.Open(folder), device);

    /// <summary>Builds the model for <paramref name="config"/> and the weights in <paramref name="weightsPath"/>
    /// (safetensors or CRIS .pth), loads strictly, moves to <paramref name="device"/>, eval mode.</summary>
    public static CrisModel Load(CrisConfig config, string weightsPath, Device device)
    {
        var state = WeightFiles.Load(weightsPath);
        var model = FromStateDict(config, state, weightsPath);
        model.To(device);
        model.Eval();
        return model;
    }

    /// <summary>A model whose weights are <paramref name="state"/> (CRIS key names), strictly loaded, on the CPU.</summary>
    public static CrisModel FromStateDict(CrisConfig config, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var arch = CrisClipArchitecture.FromStateDict(state, "backbone.", source);
        config.CheckAgainst(arch, source);
        CrisModel model;
        using (Tensor.WithoutRandomInit()) model = new CrisModel(config, arch, new Random(0)); // every value comes from the checkpoint
        StrictLoading.Load(model, state, source);
        model.SetRequiresGrad(true);
        return model;
    }

    /// <summary>
    /// The folder's CLIP BPE tokenizer as CRIS uses it (clip.tokenize with truncate=True): &lt;sot&gt; text &lt;eot&gt;,
    /// cut to word_len with the last kept id replaced by &lt;eot&gt;, padded with id 0. Files: vocab.json + merges.txt or
    /// OpenAI's bpe_simple_vocab_16e6.txt.gz.
    /// </summary>
    public static ClipTokenizer LoadTokenizer(ModelFolder folder, CrisConfig config)
    {
        if (!folder.HasFile("vocab.json") && !folder.HasFile("bpe_simple_vocab_16e6.txt.gz"))
            throw new FileNotFoundException($"CRIS folder '{folder.Path}' has no tokenizer files (vocab.json + merges.txt, or bpe_simple_vocab_16e6.txt.gz); " +
                                            "copy them from a CLIP tokenizer folder (engine init --vocab DIR does).");
        return ClipTokenizer.FromFolder(folder.Path, new ClipTokenizerOptions { ContextLength = config.WordLen, PadId = 0 });
    }
}
