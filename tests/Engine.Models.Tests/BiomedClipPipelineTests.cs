using Engine.Imaging;
using Engine.Models.BiomedClip;
using Engine.Models.Loading;
using Xunit;
using static Engine.Models.Tests.BiomedClipTestData;

namespace Engine.Models.Tests;

/// <summary>The host-facing BiomedCLIP API (what `engine classify` / `engine embed` call) and `engine init --family biomedclip`.</summary>
public sealed class BiomedClipPipelineTests
{

    [Fact]
    public void Open_clip_preprocessing_of_the_raw_golden_images_reproduces_pixel_values_and_features()
    {
        var inputs = Read(BiomedClipTiny, "inputs.safetensors");
        var raw = inputs["images_uint8_nhwc"];
        var bytes = raw.ToInt64Array().Select(v => (byte)v).ToArray();
        int n = raw.Shape[0], s = raw.Shape[1], per = s * s * 3;
        var images = Enumerable.Range(0, n).Select(i => new RgbImage(s, s, bytes.AsSpan(i * per, per).ToArray())).ToList();
        var config = PreprocessorConfig.FromFolder(BiomedClipTiny);
        Assert.Equal(64, config.CropWidth);
        var pixels = ImagePreprocessor.ToTensor(images, config);
        AssertClose("pixel_values", pixels, inputs["pixel_values"], 0, 1e-6);
        var model = BiomedClipFolder.Load(BiomedClipTiny);
        using var _ = Tensor.NoGrad();
        AssertClose("image_features", model.EncodeImage(pixels), Read(BiomedClipTiny, "outputs.safetensors")["image_features"], 1e-4, 1e-5);
    }

    [Fact]
    public void Init_tiny_folder_then_classify_and_embed_like_the_cli()
    {
        var dir = Directory.CreateTempSubdirectory("biomedclip-init-");
        try
        {
            var summary = ModelFamilies.Initializer("biomedclip").Initialize(new ModelInitRequest(dir.FullName, "tiny", BiomedBertVocab, 11, new Dictionary<string, string>()));
            Assert.Contains("BiomedCLIP (tiny", summary);
            Assert.IsType<BiomedClipFamily>(ModelFamilies.Detect(dir.FullName));
            using var pipe = BiomedClipPipeline.Open(dir.FullName);
            Assert.Equal(30522, pipe.Model.Config.Text.VocabSize);
            Assert.Equal(4, pipe.Model.Config.Vision.Heads); // from the arch.json init writes

            var rng = new Random(4);
            var images = Enumerable.Range(0, 2).Select(i =>
            {
                var px = new byte[80 * 100 * 3];
                rng.NextBytes(px);
                return ($"img{i}", new RgbImage(80, 100, px));
            }).ToList();
            var labels = new[] { "adenocarcinoma histopathology", "brain MRI", "chest X-ray" };
            var results = pipe.Classify(images, labels);
            Assert.Equal(2, results.Count);
            foreach (var r in results) Assert.Equal(1.0, r.Probabilities.Sum(), 5);

            // Same numbers by hand: softmax(exp(logit_scale) * cos(image, "this is a photo of " + label)).
            var img = pipe.EmbedImages(images.Select(x => x.Item2).ToList());
            var txt = pipe.EmbedTexts(labels.Select(l => "this is a photo of " + l).ToList());
            float scale = MathF.Exp(pipe.Model.LogitScale.Value.Item());
            var iv = img.ToArray(); var tv = txt.ToArray(); int e = img.Shape[1];
            for (int i = 0; i < 2; i++)
            {
                var logits = Enumerable.Range(0, 3).Select(j => scale * Enumerable.Range(0, e).Sum(k => iv[i * e + k] * tv[j * e + k])).ToArray();
                var max = logits.Max();
                var ex = logits.Select(x => Math.Exp(x - max)).ToArray();
                for (int j = 0; j < 3; j++) Assert.Equal(ex[j] / ex.Sum(), results[i].Probabilities[j], 4);
            }
            // Embeddings are unit length.
            for (int i = 0; i < 2; i++) Assert.Equal(1.0, Math.Sqrt(Enumerable.Range(0, e).Sum(k => (double)iv[i * e + k] * iv[i * e + k])), 5);
            Assert.Throws<ArgumentException>(() => pipe.Classify(images, Array.Empty<string>()));
            Assert.Throws<ArgumentException>(() => pipe.Classify(images, labels, "no placeholder"));
        }
        finally { dir.Delete(true); }
    }
}
