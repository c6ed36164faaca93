using Engine.Data.Converters;
using Engine.Data.Synthetic;
using Engine.Models.Cris;
using Engine.Models.Loading;
using Engine.Training.Models;
using Engine.Training.Reporting;
using Engine.Training.Training;
using Xunit;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>CRIS through the trainer (engine train): a tiny CRIS folder fine-tuned on the synthetic dataset writes
/// best/ and last/ model folders that load as CRIS, with changed weights and advanced batch-norm counters.</summary>
public sealed class CrisTrainingTests : IDisposable
{
    private readonly string _tmp = Path.Combine(Path.GetTempPath(), "cris-train-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { try { Directory.Delete(_tmp, recursive: true); } catch (IOException) { } }

    [Fact]
    public void Trainer_fine_tunes_a_cris_folder_end_to_end()
    {
        var data = Path.Combine(_tmp, "data");
        SyntheticDatasetGenerator.Generate(new SyntheticOptions { OutputDir = data, Count = 10, Size = 64, ObjectsPerImage = 1 }, new NullConversionLog());
        var modelDir = Path.Combine(_tmp, "cris");
        ModelFamilies.Initializer("cris").Initialize(new ModelInitRequest(modelDir, "tiny", ClipVocab, 5, new Dictionary<string, string>()));

        using (var trainable = TrainableModels.Open(modelDir, Device.Cpu))
        {
            Assert.Equal("cris", trainable.Family);
            Assert.Equal(0.35f, trainable.DefaultThreshold);
            Assert.Equal("decoder", trainable.PartOf("neck.aggr.0.weight"));
            Assert.Null(trainable.PartOf("backbone.logit_scale"));
        }

        var result = Trainer.Train(new TrainOptions
        {
            ModelDir = modelDir, DataRoot = data, PromptKeys = new[] { "p1" }, RunDir = Path.Combine(_tmp, "run"),
            Parts = TrainableParts.All, Epochs = 1, BatchSize = 3, LearningRate = 1e-3, Seed = 1,
        }, SilentProgress.Instance);
        Assert.Equal(1, result.EpochsCompleted);
        Assert.True(double.IsFinite(result.History[0].TrainLoss));

        var before = CrisLoader.Load(modelDir, Device.Cpu).StateDict();
        var after = CrisLoader.Load(result.LastDir, Device.Cpu).StateDict();
        Assert.NotEqual(before["proj.txt.weight"].ToArray(), after["proj.txt.weight"].ToArray());
        Assert.NotEqual(before["backbone.visual.conv1.weight"].ToArray(), after["backbone.visual.conv1.weight"].ToArray());
        Assert.Equal(before["backbone.logit_scale"].ToArray(), after["backbone.logit_scale"].ToArray());
        Assert.True(after["backbone.visual.bn1.num_batches_tracked"].ToInt64Array()[0] > 0);
        Assert.True(File.Exists(Path.Combine(result.LastDir, "cris.yaml")));
    }
}
