namespace Engine.Models.Loading;

/// <summary>CLIPConfig (model_type "clip"): both towers plus the shared projection size and logit scale.</summary>
public sealed record ClipConfig
{
    public ClipTextConfig Text { get; init; } = new();
    public ClipVisionConfig Vision { get; init; } = new();
    public int ProjectionDim { get; init; } = 512;
    public float LogitScaleInitValue { get; init; } = 2.6592f;

    public static ClipConfig FromJson(JsonConfig j) => new()
    {
        Text = ClipTextConfig.FromJson(j.Sub("text_config")),
        Vision = ClipVisionConfig.FromJson(j.Sub("vision_config")),
        ProjectionDim = j.Int("projection_dim", 512),
        LogitScaleInitValue = j.Float("logit_scale_init_value", 2.6592f),
    };
}
