using System.Text.Json;
using Engine.Cli;
using Engine.Imaging;
using Engine.Models.BiomedClip;
using Engine.Weights;
using Xunit;
using static Engine.Models.Tests.BiomedClipTestData;

namespace Engine.Models.Tests;

/// <summary>End to end through the `engine` commands: the golden BiomedCLIP / BERT conformance through `engine forward`,
/// and init / classify / embed / segment on folders made by `engine init`.</summary>
[Collection("engine-cli")] // the CLI writes to the process console; keep these runs sequential
public sealed class BiomedClipCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("biomedclip-cli-").FullName;

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static int Engine(params string[] args) => Program.Main(args);


    private static (int rc, string stdout) EngineCaptured(params string[] args)
    {
        var old = Console.Out;
        var sw = new StringWriter();
        Console.SetOut(sw);
        try { return (Program.Main(args), sw.ToString()); }
        finally { Console.SetOut(old); }
    }

    [Fact]
    public void Forward_command_reproduces_the_biomedclip_and_bert_golden_files()
    {
        string o = Path.Combine(_root, "o.safetensors"), g = Path.Combine(_root, "g.safetensors");
        Assert.Equal(0, Engine("forward", "--model", BiomedClipTiny, "--inputs", Path.Combine(BiomedClipTiny, "inputs.safetensors"), "--out", o, "--grads", g, "--intermediates"));
        var ours = SafetensorsFile.ReadAll(o);
        foreach (var file in new[] { "outputs.safetensors", "intermediates.safetensors" })
            foreach (var (k, t) in Read(BiomedClipTiny, file))
                AssertClose(k, ours[k], t, 1e-4, k.StartsWith("logit", StringComparison.Ordinal) ? 1e-4 : 1e-5);
        Assert.True(Math.Abs(ours["loss"].Item() - Read(BiomedClipTiny, "train.safetensors")["loss"].Item()) <= 1e-5);
        var grads = Read(BiomedClipTiny, "grads.safetensors");
        var ourGrads = SafetensorsFile.ReadAll(g);
        double big = grads.Values.Max(MaxAbs);
        foreach (var (k, t) in grads) AssertClose("grad " + k, ourGrads[k], t, 1e-3, 1e-6 * big);

        Assert.Equal(0, Engine("forward", "--model", BertTiny, "--inputs", Path.Combine(BertTiny, "inputs.safetensors"), "--out", o, "--grads", g, "--intermediates"));
        ours = SafetensorsFile.ReadAll(o);
        foreach (var (k, t) in Read(BertTiny, "outputs.safetensors")) AssertClose(k, ours[k], t, 1e-4, 1e-6);
        grads = Read(BertTiny, "grads.safetensors");
        ourGrads = SafetensorsFile.ReadAll(g);
        big = grads.Values.Max(MaxAbs);
        foreach (var (k, t) in grads) AssertClose("grad " + k, ourGrads[k], t, 1e-3, 1e-6 * big);
    }

    [Fact]
    public void Init_classify_embed_and_biomedclipseg_d_segment()
    {
        string bc = Path.Combine(_root, "bc"), seg = Path.Combine(_root, "seg"), images = Path.Combine(_root, "images");
        Assert.Equal(0, Engine("init", "--family", "biomedclip", "--preset", "tiny", "--vocab", BiomedBertVocab, "--out", bc, "--seed", "2"));
        Directory.CreateDirectory(images);
        var rng = new Random(8);
        foreach (var (name, w, h) in new[] { ("a.png", 90, 70), ("b.png", 64, 64) })
        {
            var px = new byte[w * h * 3];
            rng.NextBytes(px);
            OutputWriters.WriteRgb(Path.Combine(images, name), new RgbImage(w, h, px));
        }

        var (rc, json) = EngineCaptured("classify", "--model", bc, "--image", images, "--label", "brain MRI", "--label", "chest X-ray", "--label", "polyp", "--json");
        Assert.Equal(0, rc);
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.Equal(2, doc.RootElement.GetArrayLength());
            foreach (var r in doc.RootElement.EnumerateArray())
                Assert.Equal(1.0, r.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 5);
        }

        string emb = Path.Combine(_root, "e.safetensors");
        Assert.Equal(0, Engine("embed", "--model", bc, "--image", images, "--text", "brain MRI", "--out", emb));
        var e = SafetensorsFile.ReadAll(emb);
        Assert.Equal(new[] { 2, 32 }, e["image_features"].Shape);
        Assert.Equal(new[] { 1, 32 }, e["text_features_normalized"].Shape);
        using (var pipe = BiomedClipPipeline.Open(bc))
            AssertClose("image embeddings", e["image_features_normalized"], pipe.EmbedImages(new[] { "a.png", "b.png" }.Select(n => ImageLoader.Load(Path.Combine(images, n))).ToList()), 0, 1e-6);
        Assert.Contains("a.png", SafetensorsFile.ReadMetadata(emb)["images"]);

        // BiomedCLIPSeg-D from the random BiomedCLIP (real vocabulary) and the golden tiny CLIPSeg decoder.
        Assert.Equal(0, Engine("init", "--family", "biomedclipseg", "--biomedclip", bc, "--decoder-from", ClipSegTiny, "--extract-layers", "0,1,1", "--out", seg));
        Assert.Equal(0, Engine("segment", "--model", seg, "--image", Path.Combine(images, "a.png"), "--prompt", "liver", "--out", Path.Combine(_root, "out")));
        var mask = ImageLoader.Load(Path.Combine(_root, "out", "a", "liver_mask.png"));
        Assert.Equal((90, 70), (mask.Width, mask.Height));

        // Errors exit non-zero: no labels, missing image, incompatible decoder source (BiomedCLIP folder as CLIPSeg).
        Assert.NotEqual(0, Engine("classify", "--model", bc, "--image", Path.Combine(images, "missing.png"), "--label", "x"));
        Assert.NotEqual(0, Engine("embed", "--model", bc, "--out", emb));
        Assert.NotEqual(0, Engine("init", "--family", "biomedclipseg", "--biomedclip", bc, "--decoder-from", bc, "--out", Path.Combine(_root, "bad")));
    }
}
