using Engine.Models.Loading;
using Engine.Training.Checkpoints;
using Engine.Training.Evaluation;
using Engine.Training.Models;
using Engine.Training.Training;
using Xunit;

namespace Engine.Training.Tests;

[Collection("training")]
public sealed class FamilyAndStoppingTests(TestWorkspace ws)
{
    [Fact]
    public void BiomedClipSeg_folders_train_resume_exactly_and_test()
    {
        var model = Path.Combine(ws.NewDir("biomedclipseg"), "model");
        var vocab = Engine.Tests.RepoPaths.Vocab("biomedbert");
        ModelFamilies.Initializer("biomedclipseg").Initialize(new ModelInitRequest(model, "tiny", vocab, 2,
            new Dictionary<string, string> { ["extract-layers"] = "0,1,1" }));
        var o = new TrainOptions
        {
            ModelDir = model, DataRoot = ws.Data, PromptKeys = new[] { "p4" }, RunDir = "", Epochs = 2, BatchSize = 6,
            LearningRate = 3e-3, Schedule = LrScheduleKind.Cosine, Seed = 4,
        };
        string straight = ws.NewDir("bcs-a"), resumed = ws.NewDir("bcs-b");
        var a = Trainer.Train(o with { RunDir = straight });
        Trainer.Train(o with { RunDir = resumed, StopAfterEpochs = 1 });
        Trainer.Resume(resumed);
        TrainerTests.AssertSameTensors(Path.Combine(straight, "last", "model.safetensors"), Path.Combine(resumed, "last", "model.safetensors"));
        Assert.True(a.History[^1].TrainLoss < a.History[0].TrainLoss);
        Assert.Equal("biomedclipseg", ModelFamilies.Detect(Path.Combine(straight, "best")).Name);

        var eval = ws.NewDir("bcs-eval");
        var report = ModelEvaluator.Run(new EvalOptions { ModelDir = Path.Combine(straight, "best"), DataRoot = ws.Data, PromptKeys = new[] { "p4", "p1" }, OutDir = eval });
        Assert.Equal(new[] { "p4", "p1" }, report.Keys.Select(k => k.PromptKey));
        Assert.All(report.Keys, k => Assert.Equal(6, k.Rows.Count));
        Assert.True(File.Exists(Path.Combine(eval, EvalReport.SensitivityFile)));
    }

    [Fact]
    public void Early_stopping_ends_the_run_and_resume_does_not_continue_it()
    {
        var run = ws.NewDir("run-early");
        // A learning rate too small to change any prediction: validation Dice cannot improve after epoch 1.
        var o = new TrainOptions
        {
            ModelDir = ws.Model, DataRoot = ws.Data, PromptKeys = new[] { "p4" }, RunDir = run, Epochs = 6, BatchSize = 9,
            LearningRate = 1e-12, Schedule = LrScheduleKind.Constant, EarlyStoppingPatience = 2, Threshold = 0.45f, Parts = TrainableParts.DecoderOnly,
        };
        var r = Trainer.Train(o);
        Assert.True(r.StoppedEarly);
        Assert.True(r.Finished);
        Assert.Equal(3, r.EpochsCompleted);
        Assert.Equal(0, r.BestEpoch);
        Assert.Equal(new[] { true, false, false }, r.History.Select(h => h.IsBest));
        var again = Trainer.Resume(run);
        Assert.Equal(3, again.EpochsCompleted);
        Assert.Equal(3, TrainerStateFile.Read(Path.Combine(run, "last")).EpochsCompleted);
    }
}
