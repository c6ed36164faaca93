using Engine.Imaging;
using Engine.Models.ClipSeg;
using Engine.Models.Loading;
using Engine.Pipelines;
using Xunit;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>A random tiny CLIPSeg folder (the real CLIP vocabulary), made once per test class.</summary>
public sealed class TinyClipSegFolder : IDisposable
{
    public TinyClipSegFolder()
    {
        Root = Directory.CreateTempSubdirectory("clipseg-tiny-").FullName;
        Path = System.IO.Path.Combine(Root, "model");
        ModelFamilies.Initializer("clipseg").Initialize(new ModelInitRequest(Path, "tiny", ClipVocab, 11, new Dictionary<string, string>()));
    }

    public string Root { get; }
    public string Path { get; }

    public void Dispose() { try { Directory.Delete(Root, true); } catch (IOException) { } }
}

/// <summary>The embedding API used exactly as a host application would: load once, segment raw pixels / files /
/// streams with several prompts, concurrently, then dispose.</summary>
public sealed class ClipSegPipelineTests : IClassFixture<TinyClipSegFolder>
{
    private readonly TinyClipSegFolder _folder;
    public ClipSegPipelineTests(TinyClipSegFolder folder) { _folder = folder; }

    private static byte[] Pixels(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var px = new byte[w * h * 3];
        // A bright disc on a textured background, so the maps are not constant.
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool disc = (x - w / 2) * (x - w / 2) + (y - h / 3) * (y - h / 3) < w * h / 12;
                for (int c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = disc ? (byte)(200 + c * 20) : (byte)rng.Next(0, 120);
            }
        return px;
    }

    [Fact]
    public void Segment_raw_pixels_with_two_prompts_matches_the_model_run_directly()
    {
        using var model = SegmentationModel.Load(_folder.Path);
        Assert.Equal("clipseg", model.Family);
        const int w = 100, h = 80;
        var px = Pixels(w, h, 1);
        var prompts = new[] { "a polyp", "a surgical instrument" };
        var r = model.Segment(px, w, h, prompts);

        Assert.Equal((w, h), (r.Width, r.Height));
        Assert.Equal(2, r.Probabilities.Count);
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(w * h, r.Probabilities[k].Length);
            Assert.All(r.Probabilities[k], v => Assert.InRange(v, 0f, 1f));
            for (int i = 0; i < w * h; i++) Assert.Equal(r.Probabilities[k][i] > 0.5f, r.Masks[k][i]);
        }
        Assert.NotNull(r.LabelMap);
        for (int i = 0; i < w * h; i++)
        {
            float a = r.Probabilities[0][i], b = r.Probabilities[1][i];
            byte want = (byte)(Math.Max(a, b) > 0.5f ? (b > a ? 2 : 1) : 0);
            Assert.Equal(want, r.LabelMap![i]);
        }

        // Reference: the plain HF-style forward (one prompt per image row), upsampled with torch-bilinear semantics.
        var clipseg = ClipSegLoader.Load(_folder.Path, Device.Cpu);
        var tok = ClipSegLoader.LoadTokenizer(ModelFolder.Open(_folder.Path));
        var batch = tok.Encode(prompts, padToLongest: true);
        var image = new RgbImage(w, h, px);
        var pixels = ImagePreprocessor.ToTensor(new[] { image, image }, PreprocessorConfig.FromFolder(_folder.Path));
        Assert.Equal(new[] { 2, 3, 96, 96 }, pixels.Shape);
        float[] logits;
        using (Tensor.NoGrad()) logits = clipseg.Forward(pixels, batch.IdsTensor(), batch.AttentionMaskTensor()).Logits.ToArray();
        for (int k = 0; k < 2; k++)
        {
            var want = MaskMaps.Sigmoid(MapResize.Bilinear(logits.AsSpan(k * 96 * 96, 96 * 96).ToArray(), 96, 96, w, h));
            for (int i = 0; i < w * h; i++) Assert.True(Math.Abs(want[i] - r.Probabilities[k][i]) < 1e-5, $"prompt {k} pixel {i}: {r.Probabilities[k][i]} vs {want[i]}");
        }
    }

    [Fact]
    public void A_prompt_image_conditions_like_conditional_pixel_values_and_keeps_the_prompt_order()
    {
        using var model = SegmentationModel.Load(_folder.Path, Device.Cpu, new SegmentationOptions { BatchSize = 2 });
        Assert.True(model.AcceptsPromptImages);
        const int w = 70, h = 50;
        var query = new RgbImage(w, h, Pixels(w, h, 4));
        var example = new RgbImage(33, 41, Pixels(33, 41, 5));
        var visual = SegmentationPrompt.FromImage(example, "example");
        var mixed = model.Segment(query, new SegmentationPrompt[] { "a polyp", visual });
        Assert.Equal(new[] { "a polyp", "example" }, mixed.Prompts);

        // Reference: transformers' forward with conditional_pixel_values (the prompt image through the same processor).
        var clipseg = ClipSegLoader.Load(_folder.Path, Device.Cpu);
        var pre = PreprocessorConfig.FromFolder(_folder.Path);
        float[] logits;
        using (Tensor.NoGrad())
            logits = clipseg.Forward(ImagePreprocessor.ToTensor(query, pre), conditionalPixelValues: ImagePreprocessor.ToTensor(example, pre)).Logits.ToArray();
        var want = MaskMaps.Sigmoid(MapResize.Bilinear(logits, 96, 96, w, h));
        for (int i = 0; i < w * h; i++) Assert.True(Math.Abs(want[i] - mixed.Probabilities[1][i]) < 1e-5, $"pixel {i}: {mixed.Probabilities[1][i]} vs {want[i]}");
        Assert.NotEqual(mixed.Probabilities[0], mixed.Probabilities[1]); // the image condition is not the text's

        // Image first: the same maps, in the order asked; several images in batches: the same maps per image.
        var swapped = model.Segment(query, new SegmentationPrompt[] { visual, "a polyp" });
        Assert.Equal(new[] { "example", "a polyp" }, swapped.Prompts);
        Assert.Equal(mixed.Probabilities[1], swapped.Probabilities[0]);
        Assert.Equal(mixed.Probabilities[0], swapped.Probabilities[1]);
        var imageOnly = model.Segment(new[] { query, new RgbImage(20, 20, Pixels(20, 20, 6)), query }, new[] { visual });
        for (int i = 0; i < w * h; i++)
        {
            Assert.True(Math.Abs(imageOnly[0].Probabilities[0][i] - mixed.Probabilities[1][i]) < 1e-6);
            Assert.True(Math.Abs(imageOnly[2].Probabilities[0][i] - mixed.Probabilities[1][i]) < 1e-6);
        }
        Assert.Null(imageOnly[0].LabelMap);
    }

    [Fact]
    public void Files_streams_and_raw_pixels_give_the_same_result()
    {
        using var model = SegmentationModel.Load(_folder.Path, Device.Cpu, new SegmentationOptions { Threshold = 0.4f });
        var px = Pixels(64, 48, 2);
        var file = System.IO.Path.Combine(_folder.Root, "img.png");
        OutputWriters.WriteRgb(file, new RgbImage(64, 48, px));
        var fromRaw = model.Segment(px, 64, 48, new[] { "kidney" });
        var fromFile = model.Segment(file, new[] { "kidney" });
        using var stream = File.OpenRead(file);
        var fromStream = model.Segment(stream, new[] { "kidney" });
        Assert.Equal(0.4f, fromRaw.Threshold);
        Assert.Null(fromRaw.LabelMap);
        Assert.Equal(fromRaw.Probabilities[0], fromFile.Probabilities[0]);
        Assert.Equal(fromRaw.Probabilities[0], fromStream.Probabilities[0]);
    }

    [Fact]
    public void Concurrent_calls_match_sequential_ones_and_batching_does_not_change_results()
    {
        using var model = SegmentationModel.Load(_folder.Path, Device.Cpu, new SegmentationOptions { BatchSize = 2 });
        var images = Enumerable.Range(0, 5).Select(i => new RgbImage(40 + 8 * i, 30 + 5 * i, Pixels(40 + 8 * i, 30 + 5 * i, 10 + i))).ToList();
        var prompts = new[] { "liver", "tumour" };
        var batched = model.Segment(images, prompts);
        var single = images.Select(im => model.Segment(im, prompts)).ToList();
        var concurrent = new SegmentationResult[images.Count];
        Parallel.For(0, images.Count * 3, new ParallelOptions { MaxDegreeOfParallelism = 4 }, j => concurrent[j % images.Count] = model.Segment(images[j % images.Count], prompts));
        for (int i = 0; i < images.Count; i++)
            for (int k = 0; k < 2; k++)
            {
                Assert.Equal(images[i].Width * images[i].Height, batched[i].Probabilities[k].Length);
                for (int p = 0; p < batched[i].Probabilities[k].Length; p++)
                {
                    Assert.True(Math.Abs(batched[i].Probabilities[k][p] - single[i].Probabilities[k][p]) < 1e-5);
                    Assert.True(Math.Abs(concurrent[i].Probabilities[k][p] - single[i].Probabilities[k][p]) < 1e-5);
                }
            }
    }

    [Fact]
    public void Bad_requests_fail_clearly_and_dispose_stops_the_model()
    {
        var model = SegmentationModel.Load(_folder.Path);
        var px = Pixels(20, 20, 3);
        Assert.Contains("No prompts", Assert.Throws<ArgumentException>(() => model.Segment(px, 20, 20, Array.Empty<string>())).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => model.Segment(px, 20, 20, new[] { " " })).Message);
        Assert.Contains("bytes", Assert.Throws<ArgumentException>(() => model.Segment(px, 21, 20, new[] { "x" })).Message);
        Assert.Contains("No prompts", Assert.Throws<ArgumentException>(() => model.Segment(new RgbImage(20, 20, px), Array.Empty<SegmentationPrompt>())).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => SegmentationPrompt.FromText("")).Message);
        Assert.Throws<FileNotFoundException>(() => SegmentationPrompt.FromImageFile(System.IO.Path.Combine(_folder.Root, "missing.png")));
        Assert.Throws<FileNotFoundException>(() => model.Segment(System.IO.Path.Combine(_folder.Root, "missing.png"), new[] { "x" }));
        using (var garbage = new MemoryStream(new byte[] { 1, 2, 3, 4, 5 }))
            Assert.Throws<InvalidDataException>(() => model.Segment(garbage, new[] { "x" }));
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.Segment(px, 20, 20, new[] { "x" }));
        Assert.Throws<DirectoryNotFoundException>(() => SegmentationModel.Load(System.IO.Path.Combine(_folder.Root, "nope")));
        Assert.Throws<NotSupportedException>(() => SegmentationModel.Load(ClipTextTiny));
    }
}
