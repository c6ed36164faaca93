using Engine.Imaging;
using Engine.Data;
using Engine.Training.Data;
using Engine.Training.Models;
using Engine.Training.Training;
using Xunit;

namespace Engine.Training.Tests;

public sealed class LossTests
{
    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(0.0, 1.0)]
    [InlineData(2.5, 0.0)]
    public void Tensor_loss_matches_the_double_precision_reference(double diceWeight, double bceWeight)
    {
        var rng = new Random(11);
        int b = 3, h = 5, w = 7;
        var logits = new float[b * h * w];
        var targets = new byte[b * h * w];
        for (int i = 0; i < logits.Length; i++) { logits[i] = (float)(rng.NextDouble() * 12 - 6); targets[i] = (byte)(rng.NextDouble() < 0.3 ? 1 : 0); }
        var loss = new SegmentationLoss(diceWeight, bceWeight);
        double value = loss.Compute(Tensor.FromArray(logits, b, h, w), Tensor.FromArray(targets.Select(t => (float)t).ToArray(), b, h, w)).Item();
        // Reference: per-sample soft Dice averaged over the batch, BCE averaged over all pixels (equal sample sizes).
        double expected = 0;
        for (int s = 0; s < b; s++) expected += loss.Reference(logits.AsSpan(s * h * w, h * w), targets.AsSpan(s * h * w, h * w)) / b;
        Assert.Equal(expected, value, 5);
    }

    [Fact]
    public void Perfect_confident_predictions_have_almost_no_loss_and_weights_are_validated()
    {
        var loss = SegmentationLoss.Default;
        var t = new byte[] { 1, 1, 0, 0 };
        Assert.True(loss.Reference(new[] { 20f, 20f, -20f, -20f }, t) < 1e-6);
        Assert.True(loss.Reference(new[] { -20f, -20f, 20f, 20f }, t) > 10);
        Assert.Throws<ArgumentException>(() => new SegmentationLoss(0, 0).Validate());
        Assert.Throws<ArgumentException>(() => new SegmentationLoss(-1, 1).Validate());
    }
}

public sealed class EpochPlanTests
{
    [Fact]
    public void Orders_are_seeded_permutations_that_change_every_epoch()
    {
        var a = EpochPlan.Order(5, 0, 50);
        Assert.Equal(Enumerable.Range(0, 50), a.Order());
        Assert.Equal(a, EpochPlan.Order(5, 0, 50));
        Assert.NotEqual(a, EpochPlan.Order(5, 1, 50));
        Assert.NotEqual(a, EpochPlan.Order(6, 0, 50));
        var batches = EpochPlan.Batches(5, 0, 50, 16);
        Assert.Equal(new[] { 16, 16, 16, 2 }, batches.Select(x => x.Length));
        Assert.Equal(a, batches.SelectMany(x => x));
    }

    [Fact]
    public void Prompt_keys_are_drawn_evenly_and_statelessly()
    {
        var keys = new[] { "p3", "p4", "p5" };
        var counts = keys.ToDictionary(k => k, _ => 0);
        for (int r = 0; r < 3000; r++) counts[EpochPlan.PromptKey(keys, 1, 2, r)]++;
        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150));
        Assert.Equal(EpochPlan.PromptKey(keys, 1, 2, 17), EpochPlan.PromptKey(keys, 1, 2, 17));
        Assert.Equal("p1", EpochPlan.PromptKey(new[] { "p1" }, 1, 2, 17));
    }
}

public sealed class AugmentationTests
{
    private static (RgbImage, byte[]) Square(int w, int h)
    {
        var px = new byte[w * h * 3];
        var mask = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool inside = x >= 4 && x < 12 && y >= 6 && y < 14;
                mask[y * w + x] = inside ? (byte)1 : (byte)0;
                for (int c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = inside ? (byte)220 : (byte)60;
            }
        return (new RgbImage(w, h, px), mask);
    }

    [Fact]
    public void Geometric_augmentation_moves_image_and_mask_together_and_is_reproducible()
    {
        var (img, mask) = Square(32, 24);
        var o = AugmentationOptions.Parse("flip,rotate=20,scale=0.2");
        for (int r = 0; r < 20; r++)
        {
            var (ai, am) = Augmenter.Apply(img, mask, o, Augmenter.StreamFor(3, 1, r));
            var (bi, bm) = Augmenter.Apply(img, mask, o, Augmenter.StreamFor(3, 1, r));
            Assert.Equal(ai.Pixels, bi.Pixels);
            Assert.Equal(am, bm);
            // Where the mask says object, the image is bright (bilinear edges aside: check the mask's interior).
            int inside = 0, bright = 0;
            for (int y = 1; y < 23; y++)
                for (int x = 1; x < 31; x++)
                {
                    int i = y * 32 + x;
                    if (am[i] == 0 || am[i - 1] == 0 || am[i + 1] == 0 || am[i - 32] == 0 || am[i + 32] == 0) continue;
                    inside++;
                    if (ai.Pixels[3 * i] > 180) bright++;
                }
            Assert.True(inside > 10, $"record {r}: object left the image?");
            Assert.Equal(inside, bright);
        }
        Assert.NotEqual(Augmenter.Apply(img, mask, o, Augmenter.StreamFor(3, 1, 0)).Mask, Augmenter.Apply(img, mask, o, Augmenter.StreamFor(3, 2, 0)).Mask);
    }

    [Fact]
    public void Intensity_augmentation_keeps_the_mask_and_no_augmentation_is_the_identity()
    {
        var (img, mask) = Square(16, 16);
        var (ai, am) = Augmenter.Apply(img, mask, AugmentationOptions.Parse("brightness=0.2,contrast=0.2"), Augmenter.StreamFor(1, 0, 0));
        Assert.Same(mask, am);
        Assert.NotEqual(img.Pixels, ai.Pixels);
        var (ni, nm) = Augmenter.Apply(img, mask, AugmentationOptions.None, Augmenter.StreamFor(1, 0, 0));
        Assert.Equal(img.Pixels, ni.Pixels);
        Assert.Same(mask, nm);
    }
}

public sealed class OptionParsingTests
{
    [Fact]
    public void Trainable_parts_parse_and_print()
    {
        Assert.Equal(TrainableParts.DecoderOnly, TrainableParts.Parse("decoder"));
        Assert.Equal(TrainableParts.All, TrainableParts.Parse("all"));
        Assert.Equal(new TrainableParts(true, true, false), TrainableParts.Parse("decoder, text"));
        Assert.Equal("decoder,text", TrainableParts.Parse("text,decoder").ToString());
        var e = Assert.Throws<ArgumentException>(() => TrainableParts.Parse("decoder,head"));
        Assert.Contains("head", e.Message);
    }

    [Fact]
    public void Augmentation_lists_parse_and_bad_values_are_named()
    {
        var o = AugmentationOptions.Parse("hflip,rotate=15,intensity");
        Assert.True(o.HorizontalFlip && !o.VerticalFlip);
        Assert.Equal(15, o.RotationDegrees);
        Assert.Equal(0.1, o.Brightness);
        Assert.Equal(o, AugmentationOptions.Parse(o.ToString()));
        Assert.False(AugmentationOptions.Parse("none").Enabled);
        Assert.Contains("rotate=500", Assert.Throws<ArgumentException>(() => AugmentationOptions.Parse("rotate=500")).Message);
        Assert.Contains("sharpen", Assert.Throws<ArgumentException>(() => AugmentationOptions.Parse("sharpen")).Message);
    }

    [Fact]
    public void Train_options_round_trip_through_run_json_and_bad_values_are_refused()
    {
        var dir = Directory.CreateTempSubdirectory("opts-").FullName;
        try
        {
            var o = new TrainOptions
            {
                ModelDir = "/m", DataRoot = "/d", PromptKeys = new[] { "p4", "p5" }, RunDir = dir, Parts = TrainableParts.Parse("decoder,text"),
                LearningRate = 0.1 + 0.2, Schedule = LrScheduleKind.Cosine, Threshold = 0.35f, Augmentation = AugmentationOptions.Parse("vflip,scale=0.2"),
            };
            var path = Path.Combine(dir, "run.json");
            o.Save(path);
            var back = TrainOptions.Load(path);
            Assert.Equal(o.ToJson().ToJsonString(), back.ToJson().ToJsonString());
            Assert.Equal(0.1 + 0.2, back.LearningRate);
            Assert.Throws<ArgumentException>(() => (o with { BatchSize = 0 }).Validate());
            Assert.Throws<ArgumentException>(() => (o with { PromptKeys = Array.Empty<string>() }).Validate());
            Assert.Throws<ArgumentException>(() => (o with { MinLearningRate = 1 }).Validate());
            Assert.Throws<ArgumentException>(() => (o with { Device = "tpu" }).Validate());
        }
        finally { Directory.Delete(dir, true); }
    }
}
