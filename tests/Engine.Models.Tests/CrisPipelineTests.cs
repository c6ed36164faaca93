using Engine.Imaging;
using Engine.Models.Cris;
using Engine.Models.Loading;
using Engine.Pipelines;
using Xunit;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>CRIS through the public segmentation API: letterboxed input, and the map brought back like CRIS's test.py
/// (sigmoid, bicubic align_corners=True to the canvas, inverse letterbox warp), threshold 0.35.</summary>
public sealed class CrisPipelineTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cris-pipeline-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } }

    [Fact]
    public void Segment_maps_the_letterboxed_prediction_back_onto_the_image()
    {
        ModelFamilies.Initializer("cris").Initialize(new ModelInitRequest(_dir, "tiny", ClipVocab, 11, new Dictionary<string, string>()));
        // 64 x 32 image: the 64 x 64 canvas holds it at scale 1 with 16 rows of border above and below.
        var rng = new Random(2);
        var pixels = new byte[64 * 32 * 3];
        rng.NextBytes(pixels);
        var image = new RgbImage(64, 32, pixels);
        using var model = SegmentationModel.Load(_dir);
        Assert.Equal("cris", model.Family);
        Assert.Equal(0.35f, model.Threshold);
        var result = model.Segment(image, new[] { "a polyp" });
        Assert.Equal((64, 32), (result.Width, result.Height));

        using var seg = (CrisSegmenter)ModelFamilies.Detect(_dir).OpenSegmenter(ModelFolder.Open(_dir), Device.Cpu)!;
        var canvasImage = ImagePreprocessor.ResizeAndCrop(image, seg.Preprocessing);
        Assert.Equal((64, 64), (canvasImage.Width, canvasImage.Height));
        var logits = seg.PredictLogits(ImagePreprocessor.ToTensor(canvasImage, seg.Preprocessing), new[] { "a polyp" });
        Tensor canvas;
        using (Tensor.NoGrad()) canvas = Ops.Interpolate(Ops.Sigmoid(logits), 64, 64, InterpolationMode.Bicubic, alignCorners: true);
        var c = canvas.ToArray();
        var p = result.Probabilities[0];
        double worst = 0;
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 64; x++) worst = Math.Max(worst, Math.Abs(p[y * 64 + x] - c[(y + 16) * 64 + x]));
        Assert.True(worst < 1e-5, $"mapped probabilities differ from the canvas rows 16..47 by {worst}");
        for (int i = 0; i < p.Length; i++) Assert.Equal(p[i] > 0.35f, result.Masks[0][i]);

        // CRIS has no visual prompts: a prompt image is refused by name, and the interface says so.
        Assert.False(model.AcceptsPromptImages);
        var error = Assert.Throws<NotSupportedException>(() => model.Segment(image, new[] { SegmentationPrompt.FromImage(image, "example") }));
        Assert.Contains("text prompts only", error.Message);
        Assert.Throws<NotSupportedException>(() => ((IPromptSegmenter)seg).PredictLogits(ImagePreprocessor.ToTensor(canvasImage, seg.Preprocessing), new[] { "a polyp" },
            new PromptImages(ImagePreprocessor.ToTensor(canvasImage, seg.Preprocessing))));
    }
}
