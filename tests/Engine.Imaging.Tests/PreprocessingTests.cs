using Xunit;

namespace Engine.Imaging.Tests;

/// <summary>Rescale/normalise arithmetic, config parsing, batching into tensors.</summary>
public sealed class PreprocessingTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void NormalizationMatchesFormula()
    {
        var img = new RgbImage(3, 1, new byte[] { 0, 128, 255, 10, 20, 30, 255, 255, 255 });
        var hf = PreprocessorConfig.ClipSeg();
        var planes = ImagePreprocessor.Normalize(img, hf);
        // transformers: float32(v · (1/255 in float64)), then (x − mean)/std in float32.
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 3; i++)
            {
                byte v = img.Pixels[3 * i + c];
                float x = (float)(v * (1.0 / 255.0));
                float expected = (x - PreprocessorConfig.ImageNetMean[c]) / PreprocessorConfig.ImageNetStd[c];
                Assert.Equal(expected, planes[c * 3 + i]);
                Assert.Equal((v / 255.0 - PreprocessorConfig.ImageNetMean[c]) / PreprocessorConfig.ImageNetStd[c], planes[c * 3 + i], 5);
            }
        // torchvision ToTensor divides in float32.
        var oc = ImagePreprocessor.Normalize(img, PreprocessorConfig.OpenClip());
        Assert.Equal((128 / 255f - PreprocessorConfig.OpenAiClipMean[1]) / PreprocessorConfig.OpenAiClipStd[1], oc[3 + 0]);
        // Switches: no rescale, no normalise.
        var raw = ImagePreprocessor.Normalize(img, hf with { DoRescale = false, DoNormalize = false });
        Assert.Equal(new float[] { 0, 10, 255, 128, 20, 255, 255, 30, 255 }, raw);
    }

    [Fact]
    public void TensorBatchHasShapeBx3xHxW()
    {
        var a = new RgbImage(10, 6, Enumerable.Range(0, 180).Select(i => (byte)i).ToArray());
        var b = new RgbImage(7, 9, Enumerable.Range(0, 189).Select(i => (byte)(255 - i)).ToArray());
        var cfg = PreprocessorConfig.ClipSeg(8);
        var t = ImagePreprocessor.ToTensor(new[] { a, b }, cfg);
        Assert.Equal(new[] { 2, 3, 8, 8 }, t.Shape);
        var data = t.ToArray();
        var second = ImagePreprocessor.Normalize(PilResize.Resize(b, 8, 8, ResampleFilter.Bilinear), cfg);
        Assert.Equal(second, data.AsSpan(3 * 64, 3 * 64).ToArray());
        var noResize = cfg with { DoResize = false };
        var e = Assert.Throws<ArgumentException>(() => ImagePreprocessor.ToTensor(new[] { a, b }, noResize));
        Assert.Contains("one size", e.Message);
        Assert.Throws<ArgumentException>(() => ImagePreprocessor.ToTensor(Array.Empty<RgbImage>(), cfg));
    }

    [Fact]
    public void ShortestEdgeAndCropGeometry()
    {
        var cfg = PreprocessorConfig.OpenClip(224);
        Assert.Equal((224, 298), cfg.ResizedSize(480, 640));
        Assert.Equal((298, 224), cfg.ResizedSize(640, 480));
        Assert.Equal((224, 224), cfg.OutputSize(640, 480));
        // Crop offset of an odd excess: transformers floors, torchvision rounds half to even.
        var img = new RgbImage(7, 1, Enumerable.Range(0, 21).Select(i => (byte)i).ToArray());
        Assert.Equal(1 * 3, ImagePreprocessor.CenterCrop(img, 4, 1, CropRounding.Floor).Pixels[0]);   // (7−4)//2 = 1
        Assert.Equal(2 * 3, ImagePreprocessor.CenterCrop(img, 4, 1, CropRounding.HalfToEven).Pixels[0]); // round(1.5) = 2
        Assert.Equal(2 * 3, ImagePreprocessor.CenterCrop(img, 2, 1, CropRounding.HalfToEven).Pixels[0]); // round(2.5) = 2
        var padded = ImagePreprocessor.CenterCrop(new RgbImage(1, 1, new byte[] { 9, 9, 9 }), 3, 3, CropRounding.Floor);
        Assert.Equal(9, padded[1, 1, 0]);
        Assert.Equal(0, padded[0, 0, 0]);
    }

    [Fact]
    public void ReadsHuggingFaceAndOpenClipConfigs()
    {
        string vit = Path.Combine(_dir, "vit.json");
        File.WriteAllText(vit, """
            {"do_normalize": true, "do_resize": true, "image_mean": [0.485, 0.456, 0.406], "image_processor_type": "ViTImageProcessor",
             "image_std": [0.229, 0.224, 0.225], "processor_class": "CLIPSegProcessor", "resample": 2, "size": 352}
            """);
        var c = PreprocessorConfig.FromHuggingFaceJson(vit);
        Assert.Equal((352, 352), c.OutputSize(1000, 500));
        Assert.Equal(ResampleFilter.Bilinear, c.Resample);
        Assert.Equal(PreprocessorConfig.ImageNetStd, c.Std);
        Assert.False(c.DoCenterCrop);

        string clip = Path.Combine(_dir, "clip.json");
        File.WriteAllText(clip, """
            {"crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "image_processor_type": "CLIPImageProcessor",
             "resample": 3, "size": {"shortest_edge": 224}, "rescale_factor": 0.00392156862745098,
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}
            """);
        c = PreprocessorConfig.FromHuggingFaceJson(clip);
        Assert.Equal(224, c.ShortestEdge);
        Assert.Equal((224, 224), c.OutputSize(640, 480));
        Assert.Equal(ResampleFilter.Bicubic, c.Resample);
        Assert.Equal(CropRounding.Floor, c.CropRounding);

        File.WriteAllText(clip, """{"image_processor_type": "CLIPImageProcessor", "size": 224}""");
        Assert.Equal(224, PreprocessorConfig.FromHuggingFaceJson(clip).ShortestEdge); // int size = shortest edge for CLIP

        var openClip = PreprocessorConfig.FromOpenClipJson(Path.Combine(TestPaths.Shared, "golden", "biomedclip_tiny", "open_clip_config.json"));
        Assert.Equal((64, 64), openClip.OutputSize(64, 64));
        Assert.Equal(PreprocessorConfig.OpenAiClipMean, openClip.Mean);
        Assert.Equal(ResampleFilter.Bicubic, openClip.Resample);
        Assert.Equal(CropRounding.HalfToEven, openClip.CropRounding);

        File.WriteAllText(vit, """{"size": "big"}""");
        var e = Assert.Throws<InvalidDataException>(() => PreprocessorConfig.FromHuggingFaceJson(vit));
        Assert.Contains("size", e.Message);
        File.WriteAllText(vit, """{"image_mean": [0.5, 0.5]}""");
        Assert.Throws<InvalidDataException>(() => PreprocessorConfig.FromHuggingFaceJson(vit));
        File.WriteAllText(vit, "{ broken");
        Assert.Contains("vit.json", Assert.Throws<InvalidDataException>(() => PreprocessorConfig.FromHuggingFaceJson(vit)).Message);
        Assert.Throws<FileNotFoundException>(() => PreprocessorConfig.FromFolder(_dir));
        Assert.Same(c, PreprocessorConfig.FromFolder(_dir, c));
    }

    [Fact]
    public void BiomedClipGoldenPixelValuesFromUint8Images()
    {
        // biomedclip_tiny: images are already 64×64, so open_clip's transform is exactly (x/255 − mean)/std.
        var tensors = MiniSafetensors.Read(Path.Combine(TestPaths.Shared, "golden", "biomedclip_tiny", "inputs.safetensors"));
        var (u8, u8Shape) = tensors["images_uint8_nhwc"];
        var (pixelValues, _) = tensors["pixel_values"];
        int b = u8Shape[0], h = u8Shape[1], w = u8Shape[2];
        var images = Enumerable.Range(0, b).Select(i => new RgbImage(w, h, u8.AsSpan(i * h * w * 3, h * w * 3).ToArray())).ToList();
        var cfg = PreprocessorConfig.FromOpenClipJson(Path.Combine(TestPaths.Shared, "golden", "biomedclip_tiny", "open_clip_config.json"));
        var ours = ImagePreprocessor.ToTensor(images, cfg).ToArray();
        var reference = MiniSafetensors.AsFloat32(pixelValues);
        Assert.Equal(reference.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++) Assert.True(Math.Abs(ours[i] - reference[i]) <= 1e-6f, $"pixel_values[{i}]: {ours[i]} vs {reference[i]}");
    }

    [Fact]
    public void CrisGoldenPixelValuesFromUint8Images()
    {
        // cris_tiny: images already at input size 64, so the letterbox is the identity and pixel_values = (x/255 − mean)/std.
        var tensors = MiniSafetensors.Read(Path.Combine(TestPaths.Shared, "golden", "cris_tiny", "inputs.safetensors"));
        var (u8, shape) = tensors["images_uint8_nhwc"];
        int b = shape[0], h = shape[1], w = shape[2];
        var images = Enumerable.Range(0, b).Select(i => new RgbImage(w, h, u8.AsSpan(i * h * w * 3, h * w * 3).ToArray())).ToList();
        var ours = ImagePreprocessor.ToTensor(images, PreprocessorConfig.Cris(64)).ToArray();
        var reference = MiniSafetensors.AsFloat32(tensors["pixel_values"].Data);
        for (int i = 0; i < ours.Length; i++) Assert.True(Math.Abs(ours[i] - reference[i]) <= 1e-6f, $"pixel_values[{i}]: {ours[i]} vs {reference[i]}");
    }
}
