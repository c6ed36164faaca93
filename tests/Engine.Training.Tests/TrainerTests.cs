using Engine.Models.Loading;
using Engine.Pipelines;
using Engine.Training.Checkpoints;
using Engine.Training.Models;
using Engine.Training.Reporting;
using Engine.Training.Training;
using Engine.Weights;
using Xunit;

namespace Engine.Training.Tests;

[Collection("training")]
public sealed class TrainerTests(TestWorkspace ws)
{
    private TrainOptions Options(string run) => new()
    {
        ModelDir = ws.Model, DataRoot = ws.Data, PromptKeys = new[] { "p4" }, RunDir = run, Epochs = 2, BatchSize = 6,
        Parts = TrainableParts.All, LearningRate = 3e-3, Schedule = LrScheduleKind.Constant, Seed = 1, EvalBatchSize = 4,
    };

    [Fact]
    public void Training_loss_falls_and_checkpoints_are_complete_model_folders()
    {
        var run = ws.NewDir("run-loss");
        var r = Trainer.Train(Options(run) with { Epochs = 4, BatchSize = 3, LearningRate = 5e-3 });
        Assert.True(r.Finished);
        Assert.Equal(4, r.History.Count);
        // Random tiny model, 24 AdamW steps: the loss must fall clearly (it starts near 0.7 BCE + 0.9 Dice).
        Assert.True(r.History[^1].TrainLoss < 0.85 * r.History[0].TrainLoss, $"loss {r.History[0].TrainLoss} -> {r.History[^1].TrainLoss}");
        Assert.All(r.History, h => Assert.NotNull(h.ValDice));

        foreach (var name in new[] { RunFolder.Best, RunFolder.Last })
        {
            var dir = Path.Combine(run, name);
            foreach (var f in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json", RunFolder.OptimizerFileName, TrainerStateFile.FileName })
                Assert.True(File.Exists(Path.Combine(dir, f)), $"{name}/{f}");
            // Loadable by the other commands: family detection and the public pipeline.
            Assert.Equal("clipseg", ModelFamilies.Detect(dir).Name);
            using var model = SegmentationModel.Load(dir);
            Assert.Equal(48 * 48, model.Segment(new byte[48 * 48 * 3], 48, 48, new[] { "dark blob" }).Probabilities[0].Length);
        }
        var state = TrainerStateFile.Read(Path.Combine(run, RunFolder.Last));
        Assert.Equal(4, state.EpochsCompleted);
        Assert.Equal(24, state.GlobalStep); // 18 records / batch 3 = 6 steps per epoch
        var csv = File.ReadAllLines(Path.Combine(run, RunFolder.MetricsFileName));
        Assert.Equal(MetricsCsv.Header, csv[0]);
        Assert.Equal(5, csv.Length);
        var png = File.ReadAllBytes(Path.Combine(run, RunFolder.CurvesFileName));
        Assert.True(png.Length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        Assert.Empty(Directory.EnumerateDirectories(run, ".*"));
    }

    [Fact]
    public void Resume_after_an_interruption_gives_the_same_weights_bit_for_bit()
    {
        // Everything that could carry hidden state: cosine schedule (global step), gradient accumulation with a
        // partial last group, clipping, augmentation, several prompt keys, all parts trained.
        var o = Options("") with
        {
            Epochs = 2, BatchSize = 4, GradAccumulation = 2, Schedule = LrScheduleKind.Cosine, WarmupFraction = 0.3, MaxGradNorm = 0.5,
            PromptKeys = new[] { "p4", "p3" }, Augmentation = Engine.Training.Data.AugmentationOptions.Parse("all"),
        };
        string straight = ws.NewDir("run-straight"), resumed = ws.NewDir("run-resumed");
        var a = Trainer.Train(o with { RunDir = straight });
        var first = Trainer.Train(o with { RunDir = resumed, StopAfterEpochs = 1 });
        Assert.False(first.Finished);
        Assert.Equal(1, first.EpochsCompleted);
        var b = Trainer.Resume(resumed);
        Assert.True(b.Finished);

        AssertSameTensors(Path.Combine(straight, "last", "model.safetensors"), Path.Combine(resumed, "last", "model.safetensors"));
        AssertSameTensors(Path.Combine(straight, "last", RunFolder.OptimizerFileName), Path.Combine(resumed, "last", RunFolder.OptimizerFileName));
        Assert.Equal(a.History.Select(h => (h.TrainLoss, h.ValLoss, h.ValDice, h.LearningRate)), b.History.Select(h => (h.TrainLoss, h.ValLoss, h.ValDice, h.LearningRate)));
        // And the run really trained: weights moved away from the initial model.
        var init = SafetensorsFile.ReadAll(Path.Combine(ws.Model, "model.safetensors"));
        var last = SafetensorsFile.ReadAll(Path.Combine(straight, "last", "model.safetensors"));
        Assert.NotEqual(init["decoder.film_mul.weight"].ToArray(), last["decoder.film_mul.weight"].ToArray());
        Assert.NotEqual(init["clip.text_model.embeddings.token_embedding.weight"].ToArray(), last["clip.text_model.embeddings.token_embedding.weight"].ToArray());
    }

    [Fact]
    public void Resume_with_the_plateau_schedule_restores_the_scheduler_state()
    {
        var o = Options("") with { Epochs = 3, Parts = TrainableParts.DecoderOnly, Schedule = LrScheduleKind.Plateau, PlateauPatience = 0, PlateauFactor = 0.5, LearningRate = 5e-2 };
        string straight = ws.NewDir("run-plateau-a"), resumed = ws.NewDir("run-plateau-b");
        var a = Trainer.Train(o with { RunDir = straight });
        Trainer.Train(o with { RunDir = resumed, StopAfterEpochs = 2 });
        var b = Trainer.Resume(resumed);
        AssertSameTensors(Path.Combine(straight, "last", "model.safetensors"), Path.Combine(resumed, "last", "model.safetensors"));
        Assert.Equal(a.History.Select(h => h.LearningRate), b.History.Select(h => h.LearningRate));
        Assert.Equal(TrainerStateFile.Read(Path.Combine(straight, "last")).PlateauState, TrainerStateFile.Read(Path.Combine(resumed, "last")).PlateauState);
    }

    [Fact]
    public void Decoder_only_training_changes_only_the_decoder_and_frozen_towers_record_no_tape()
    {
        var run = ws.NewDir("run-decoder");
        Trainer.Train(Options(run) with { Epochs = 1, Parts = TrainableParts.DecoderOnly });
        var init = SafetensorsFile.ReadAll(Path.Combine(ws.Model, "model.safetensors"));
        var last = SafetensorsFile.ReadAll(Path.Combine(run, "last", "model.safetensors"));
        Assert.Equal(init.Keys.Order(), last.Keys.Order());
        int changed = 0;
        foreach (var (k, v) in init)
        {
            bool same = v.ToArray().AsSpan().SequenceEqual(last[k].ToArray());
            if (k.StartsWith("decoder.", StringComparison.Ordinal)) changed += same ? 0 : 1;
            else Assert.True(same, $"{k} changed although only the decoder trains");
        }
        Assert.True(changed > 10);

        using var model = TrainableModels.Open(ws.Model, Device.Cpu);
        model.Configure(TrainableParts.DecoderOnly);
        var logits = model.Forward(Tensor.Zeros(2, 3, 96, 96), new[] { "dark blob", "bright blob" });
        Assert.True(logits.RequiresGrad);
        Ops.Mean(logits).Backward();
        foreach (var (name, p) in model.Module.NamedParameters())
            Assert.Equal(name.StartsWith("decoder.", StringComparison.Ordinal), p.Value.Grad is not null);
    }

    [Fact]
    public void The_frozen_vision_cache_serves_later_epochs_without_changing_any_result()
    {
        // Whole runs: decoder-only training with and without the cache ends with the same bits.
        var o = Options("") with { Epochs = 3, BatchSize = 4, Parts = TrainableParts.DecoderOnly };
        string off = ws.NewDir("run-cache-off"), on = ws.NewDir("run-cache-on");
        var a = Trainer.Train(o with { RunDir = off, ActivationCacheBytes = 0 });
        var b = Trainer.Train(o with { RunDir = on });
        AssertSameTensors(Path.Combine(off, "last", "model.safetensors"), Path.Combine(on, "last", "model.safetensors"));
        Assert.Equal(a.History.Select(h => (h.TrainLoss, h.ValLoss, h.ValDice)), b.History.Select(h => (h.TrainLoss, h.ValLoss, h.ValDice)));

        // One model: images met again in another batch come from the cache, bit for bit what the tower gives.
        var rng = new Random(5);
        float[] Image() => Enumerable.Range(0, 3 * 96 * 96).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x0 = Image(), x1 = Image(), x2 = Image();
        Tensor Batch(params float[][] images) => Tensor.FromArray(images.SelectMany(i => i).ToArray(), images.Length, 3, 96, 96);
        var prompts = new[] { "dark blob", "bright blob" };
        using var cached = (ClipSegTrainable)TrainableModels.Open(ws.Model, Device.Cpu);
        using var plain = (ClipSegTrainable)TrainableModels.Open(ws.Model, Device.Cpu);
        cached.Configure(TrainableParts.DecoderOnly);
        plain.Configure(TrainableParts.DecoderOnly);
        plain.SetActivationCacheBudget(0);
        cached.Forward(Batch(x0, x1), prompts);
        cached.Forward(Batch(x2, x0), prompts);                    // x2 is new: encoded, and kept
        cached.Configure(TrainableParts.DecoderOnly);              // the trainer does this every epoch: keeps the cache
        var fromCache = cached.Forward(Batch(x1, x2), prompts);    // both seen, in other batches
        Assert.Equal((1, 2, 3), cached.ActivationCacheStats);
        Assert.True(fromCache.RequiresGrad);
        Assert.Equal(plain.Forward(Batch(x1, x2), prompts).ToArray(), fromCache.ToArray());
        Assert.Equal((0, 1, 0), plain.ActivationCacheStats);

        // Training the vision tower (or any change of parts) drops it; a budget too small keeps nothing.
        cached.Configure(TrainableParts.All);
        Assert.Equal(0, cached.ActivationCacheStats.Images);
        cached.Configure(TrainableParts.DecoderOnly);
        cached.SetActivationCacheBudget(1000);
        cached.Forward(Batch(x0, x1), prompts);
        Assert.Equal(0, cached.ActivationCacheStats.Images);
    }

    [Fact]
    public void A_new_run_refuses_an_existing_run_folder_and_resume_needs_a_run()
    {
        var run = ws.NewDir("run-exists");
        File.WriteAllText(Path.Combine(run, RunFolder.RunFileName), "{}");
        var e = Assert.Throws<IOException>(() => Trainer.Train(Options(run)));
        Assert.Contains("--resume", e.Message);
        var missing = Path.Combine(ws.Root, "no-such-run");
        Assert.Throws<DirectoryNotFoundException>(() => Trainer.Resume(missing));
        var empty = ws.NewDir("run-empty");
        var f = Assert.Throws<FileNotFoundException>(() => Trainer.Resume(empty));
        Assert.Contains("run.json", f.Message);
    }

    internal static void AssertSameTensors(string a, string b)
    {
        var x = SafetensorsFile.ReadAll(a);
        var y = SafetensorsFile.ReadAll(b);
        Assert.Equal(x.Keys.Order(StringComparer.Ordinal), y.Keys.Order(StringComparer.Ordinal));
        foreach (var (k, t) in x)
        {
            if (t.DType == DType.F32)
            {
                var u = t.ToArray(); var v = y[k].ToArray();
                Assert.True(u.Length == v.Length && u.Select(BitConverter.SingleToInt32Bits).SequenceEqual(v.Select(BitConverter.SingleToInt32Bits)), $"{k} differs");
            }
            else Assert.Equal(t.ToInt64Array(), y[k].ToInt64Array());
        }
    }
}
