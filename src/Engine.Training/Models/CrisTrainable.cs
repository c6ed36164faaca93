using Engine.Imaging;
using Engine.Models.Cris;
using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Training.Models;

/// <summary>Training adapter of CRIS folders (CRIS yaml + weights). Parts: decoder (neck.*, decoder.*, proj.*), text
/// (the CLIP text tower, backbone.* outside visual), vision (backbone.visual.*, batch norms on batch statistics when
/// trained). Logic in Engine.Models.Cris.CrisTrainingView.</summary>
public sealed class CrisTrainableFamily : ITrainableFamily
{
    public string Family => "cris";

    public ITrainableSegmentationModel Open(ModelFolder folder, Device device)
    {
        var config = CrisLoader.ReadConfig(folder);
        var tokenizer = CrisLoader.LoadTokenizer(folder, config);
        return new CrisTrainable(CrisLoader.Load(config, CrisLoader.WeightsFile(folder), device), tokenizer);
    }
}

/// <summary>A loaded CRIS as an <see cref="ITrainableSegmentationModel"/>.</summary>
public sealed class CrisTrainable : ITrainableSegmentationModel
{
    private readonly CrisTrainingView _view;

    public CrisTrainable(CrisModel model, Engine.Text.Clip.ClipTokenizer tokenizer)
    {
        _view = new CrisTrainingView(model, tokenizer);
        Preprocessing = PreprocessorConfig.Cris(model.Config.InputSize);
        Configure(TrainableParts.DecoderOnly);
    }

    public CrisModel Model => _view.Model;
    public string Family => "cris";
    public Module Module => _view.Model;
    public PreprocessorConfig Preprocessing { get; }
    public float DefaultThreshold => CrisConfig.DefaultThreshold;

    public string? PartOf(string parameterName) => CrisTrainingView.PartOf(parameterName);

    public void Configure(TrainableParts parts) => _view.Configure(parts.Decoder, parts.Text, parts.Vision);

    public Tensor Forward(Tensor pixelValues, IReadOnlyList<string> prompts) => _view.Forward(pixelValues, prompts);

    public IPromptSegmenter CreateSegmenter() => new CrisSegmenter(_view.Model, _view.Tokenizer, Preprocessing);

    public void Dispose() { }
}
