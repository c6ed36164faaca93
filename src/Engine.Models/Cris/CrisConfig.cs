using System.Globalization;
using System.Text;

namespace Engine.Models.Cris;

/// <summary>
/// The CRIS training config keys that shape the model and its inputs (the TRAIN section of config/refcoco/cris_r50.yaml):
/// input_size, word_len, word_dim, vis_dim, fpn_in, fpn_out, num_layers, num_head, dim_ffn, dropout, intermediate. The
/// CLIP backbone's sizes are not in the yaml: CRIS infers them from the checkpoint (<see cref="CrisClipArchitecture"/>).
/// </summary>
public sealed record CrisConfig
{
    public int InputSize { get; init; } = 416;
    public int WordLen { get; init; } = 17;
    public int WordDim { get; init; } = 1024;
    public int VisDim { get; init; } = 512;
    public int[] FpnIn { get; init; } = { 512, 1024, 1024 };
    public int[] FpnOut { get; init; } = { 256, 512, 1024 };
    public int NumLayers { get; init; } = 3;
    public int NumHead { get; init; } = 8;
    public int DimFfn { get; init; } = 2048;
    public float Dropout { get; init; } = 0.1f;
    /// <summary>CRIS's return_intermediate (only changes what the decoder returns during training; unused at inference).</summary>
    public bool Intermediate { get; init; }
    /// <summary>TRAIN.clip_pretrain as written in the yaml (informational: the folder's weights hold the backbone).</summary>
    public string? ClipPretrain { get; init; }

    /// <summary>Where the config came from, for error messages.</summary>
    public string Source { get; init; } = "<config>";

    /// <summary>CRIS's default inference threshold on sigmoid probabilities (test.py).</summary>
    public const float DefaultThreshold = 0.35f;

    public static CrisConfig Load(string yamlPath) => FromYaml(CrisYaml.Load(yamlPath));

    public static CrisConfig FromYaml(CrisYaml y)
    {
        var c = new CrisConfig
        {
            InputSize = y.Int("input_size"),
            WordLen = y.Int("word_len"),
            WordDim = y.Int("word_dim"),
            VisDim = y.Int("vis_dim"),
            FpnIn = y.IntList("fpn_in"),
            FpnOut = y.IntList("fpn_out"),
            NumLayers = y.Int("num_layers"),
            NumHead = y.Int("num_head"),
            DimFfn = y.Int("dim_ffn"),
            Dropout = (float)y.Double("dropout", 0.1),
            Intermediate = y.Bool("intermediate", false),
            ClipPretrain = y.String("clip_pretrain"),
            Source = y.Source,
        };
        c.Validate();
        return c;
    }

    /// <summary>Checks the values against each other (the constraints CRIS's modules impose), naming the key.</summary>
    public void Validate()
    {
        void Positive(string k, int v) { if (v <= 0) throw new InvalidDataException($"{Source}: '{k}' must be positive (found {v})."); }
        Positive("input_size", InputSize); Positive("word_len", WordLen); Positive("word_dim", WordDim); Positive("vis_dim", VisDim);
        Positive("num_layers", NumLayers); Positive("num_head", NumHead); Positive("dim_ffn", DimFfn);
        if (FpnIn.Length != 3) throw new InvalidDataException($"{Source}: 'fpn_in' must list 3 channel counts (found {FpnIn.Length}).");
        if (FpnOut.Length != 3) throw new InvalidDataException($"{Source}: 'fpn_out' must list 3 channel counts (found {FpnOut.Length}).");
        foreach (var v in FpnIn.Concat(FpnOut)) if (v <= 0) throw new InvalidDataException($"{Source}: fpn_in/fpn_out entries must be positive.");
        if (WordLen < 2) throw new InvalidDataException($"{Source}: 'word_len' must be at least 2 (<sot> and <eot>), found {WordLen}.");
        if (InputSize % 32 != 0) throw new InvalidDataException($"{Source}: 'input_size' ({InputSize}) must be a multiple of 32 (the backbone's stride).");
        if (VisDim % NumHead != 0) throw new InvalidDataException($"{Source}: 'vis_dim' ({VisDim}) must be divisible by 'num_head' ({NumHead}).");
        if (VisDim % 4 != 0) throw new InvalidDataException($"{Source}: 'vis_dim' ({VisDim}) must be divisible by 4 (sine position tables over x and y).");
        if (VisDim % 2 != 0) throw new InvalidDataException($"{Source}: 'vis_dim' ({VisDim}) must be even (the projector works on vis_dim/2 channels).");
        if (FpnOut[1] != VisDim) throw new InvalidDataException($"{Source}: 'fpn_out'[1] ({FpnOut[1]}) must equal 'vis_dim' ({VisDim}): the decoder runs on the neck's output.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new InvalidDataException($"{Source}: 'dropout' must lie in [0, 1) (found {Dropout}).");
    }

    /// <summary>Checks the config against the backbone read from the weights (what CRIS's forward needs to be well-formed).</summary>
    public void CheckAgainst(CrisClipArchitecture clip, string weightsSource)
    {
        if (FpnIn[0] != clip.Layer2Channels)
            throw new InvalidDataException($"{Source}: 'fpn_in'[0] ({FpnIn[0]}) must equal the backbone's layer2 channels ({clip.Layer2Channels}) in {weightsSource}.");
        if (FpnIn[1] != clip.Layer3Channels)
            throw new InvalidDataException($"{Source}: 'fpn_in'[1] ({FpnIn[1]}) must equal the backbone's layer3 channels ({clip.Layer3Channels}) in {weightsSource}.");
        if (FpnIn[2] != clip.EmbedDim)
            throw new InvalidDataException($"{Source}: 'fpn_in'[2] ({FpnIn[2]}) must equal the CLIP embed dim ({clip.EmbedDim}) in {weightsSource}.");
        if (WordDim != clip.EmbedDim)
            throw new InvalidDataException($"{Source}: 'word_dim' ({WordDim}) must equal the CLIP embed dim ({clip.EmbedDim}) in {weightsSource}.");
        if (VisDim != clip.TextWidth)
            throw new InvalidDataException($"{Source}: 'vis_dim' ({VisDim}) must equal the CLIP text width ({clip.TextWidth}) in {weightsSource}: the decoder attends to the word features directly.");
        if (WordLen > clip.ContextLength)
            throw new InvalidDataException($"{Source}: 'word_len' ({WordLen}) exceeds the CLIP context length ({clip.ContextLength}) in {weightsSource}.");
    }

    /// <summary>A CRIS yaml (same sections and keys as config/refcoco/cris_r50.yaml) for a model folder.</summary>
    public string ToYaml(string dataset = "refcoco")
    {
        var s = new StringBuilder();
        string L(int[] v) => "[" + string.Join(", ", v.Select(x => x.ToString(CultureInfo.InvariantCulture))) + "]";
        s.Append("DATA:\n  dataset: ").Append(dataset).Append('\n');
        s.Append("TRAIN:\n");
        s.Append("  # Base Arch\n");
        s.Append("  clip_pretrain: ").Append(string.IsNullOrEmpty(ClipPretrain) ? "pretrain/RN50.pt" : ClipPretrain).Append('\n');
        s.Append(CultureInfo.InvariantCulture, $"  input_size: {InputSize}\n  word_len: {WordLen}\n  word_dim: {WordDim}\n  vis_dim: {VisDim}\n");
        s.Append("  fpn_in: ").Append(L(FpnIn)).Append("\n  fpn_out: ").Append(L(FpnOut)).Append("\n  sync_bn: True\n");
        s.Append("  # Decoder\n");
        s.Append(CultureInfo.InvariantCulture, $"  num_layers: {NumLayers}\n  num_head: {NumHead}\n  dim_ffn: {DimFfn}\n");
        s.Append("  dropout: ").Append(Dropout.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        s.Append("  intermediate: ").Append(Intermediate ? "True" : "False").Append('\n');
        s.Append("  # Training Setting (CRIS's defaults)\n");
        s.Append("  base_lr: 0.0001\n  lr_decay: 0.1\n  lr_multi: 0.1\n  milestones: [35]\n  weight_decay: 0.\n  max_norm: 0.\n  manual_seed: 0\n");
        s.Append("TEST:\n  test_split: val-test\n  visualize: False\n");
        return s.ToString();
    }
}
