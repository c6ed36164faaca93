namespace Engine.Training.Models;

/// <summary>Which parts of a text-prompted segmentation model are trained (<c>--train decoder|all|decoder,text|...</c>).
/// Frozen parts run without a tape (a forward pass only) and keep their weights.</summary>
public sealed record TrainableParts(bool Decoder, bool Text, bool Vision)
{
    public const string DecoderName = "decoder";
    public const string TextName = "text";
    public const string VisionName = "vision";

    /// <summary>The reference CLIPSeg fine-tuning: decoder only.</summary>
    public static TrainableParts DecoderOnly { get; } = new(true, false, false);

    public static TrainableParts All { get; } = new(true, true, true);

    /// <summary>True when <paramref name="part"/> ("decoder", "text", "vision") is trained.</summary>
    public bool Includes(string part) => part switch
    {
        DecoderName => Decoder,
        TextName => Text,
        VisionName => Vision,
        _ => false,
    };

    public bool Any => Decoder || Text || Vision;

    /// <summary>Parses "decoder", "all", or a comma list of decoder, text, vision (e.g. "decoder,text").</summary>
    public static TrainableParts Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("--train is empty; use decoder, all, or a list such as decoder,text.");
        bool d = false, t = false, v = false;
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            switch (raw.ToLowerInvariant())
            {
                case "all": d = t = v = true; break;
                case DecoderName: d = true; break;
                case TextName: t = true; break;
                case VisionName: v = true; break;
                default: throw new ArgumentException($"--train: unknown part '{raw}'; use decoder, text, vision or all (comma-separated, e.g. decoder,text).");
            }
        }
        return new TrainableParts(d, t, v);
    }

    public override string ToString()
    {
        if (Decoder && Text && Vision) return "all";
        var parts = new List<string>();
        if (Decoder) parts.Add(DecoderName);
        if (Text) parts.Add(TextName);
        if (Vision) parts.Add(VisionName);
        return parts.Count == 0 ? "none" : string.Join(",", parts);
    }
}
