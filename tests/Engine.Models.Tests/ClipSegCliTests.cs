using Engine.Cli;
using Engine.Imaging;
using Engine.Pipelines;
using Engine.Weights;
using Xunit;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>End to end through the `engine` commands: init a tiny CLIPSeg folder with the real CLIP vocabulary, then
/// segment, tokenize and forward on it.</summary>
[Collection("engine-cli")] // the CLI writes to the process console; keep these runs sequential
public sealed class ClipSegCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("clipseg-cli-").FullName;

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static int Engine(params string[] args) => Program.Main(args);

    private static byte[] Gradient(int w, int h)
    {
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) { int i = (y * w + x) * 3; px[i] = (byte)(x * 255 / w); px[i + 1] = (byte)(y * 255 / h); px[i + 2] = (byte)((x + y) % 256); }
        return px;
    }

    [Fact]
    public void Init_then_segment_a_folder_writes_masks_at_the_original_size()
    {
        string model = Path.Combine(_root, "tiny"), images = Path.Combine(_root, "images"), output = Path.Combine(_root, "out");
        Assert.Equal(0, Engine("init", "--family", "clipseg", "--preset", "tiny", "--vocab", ClipVocab, "--out", model, "--seed", "5"));
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json" })
            Assert.True(File.Exists(Path.Combine(model, f)), f);

        Directory.CreateDirectory(images);
        var a = new RgbImage(123, 77, Gradient(123, 77));
        OutputWriters.WriteRgb(Path.Combine(images, "a.png"), a);
        OutputWriters.WriteRgb(Path.Combine(images, "b.png"), new RgbImage(50, 90, Gradient(50, 90)));
        Assert.Equal(0, Engine("segment", "--model", model, "--image", images, "--prompt", "polyp", "--prompt", "surgical tool", "--out", output, "--batch", "2"));

        foreach (var (name, w, h) in new[] { ("a", 123, 77), ("b", 50, 90) })
        {
            foreach (var f in new[] { "polyp_mask.png", "polyp_prob.png", "polyp_overlay.png", "surgical-tool_mask.png", "surgical-tool_prob.png", "surgical-tool_overlay.png", "labels.png", "overlay.png" })
            {
                var img = ImageLoader.Load(Path.Combine(output, name, f));
                Assert.Equal((w, h), (img.Width, img.Height));
            }
        }
        // The mask PNG is exactly the library's mask for the same image.
        using var lib = SegmentationModel.Load(model);
        var r = lib.Segment(a, new[] { "polyp", "surgical tool" });
        var mask = ImageLoader.Load(Path.Combine(output, "a", "polyp_mask.png"));
        for (int i = 0; i < 123 * 77; i++) Assert.Equal(r.Masks[0][i] ? 255 : 0, mask.Pixels[3 * i]);

        // segmentation.json: every image with its coverage per prompt (the library's numbers) and files that exist.
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "segmentation.json")));
        var root = report.RootElement;
        Assert.Equal("clipseg", root.GetProperty("family").GetString());
        Assert.Equal(0.5, root.GetProperty("threshold").GetDouble(), 6);
        Assert.Equal(new[] { "polyp", "surgical tool" }, root.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()).ToArray());
        var entries = root.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.Empty(root.GetProperty("failed").EnumerateArray());
        var entryA = entries.Single(e => Path.GetFileName(e.GetProperty("image").GetString()) == "a.png");
        Assert.Equal((123, 77), (entryA.GetProperty("width").GetInt32(), entryA.GetProperty("height").GetInt32()));
        var perPrompt = entryA.GetProperty("prompts").EnumerateArray().ToList();
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(r.Prompts[k], perPrompt[k].GetProperty("prompt").GetString());
            Assert.Equal(r.Coverage(k), perPrompt[k].GetProperty("coverage").GetDouble(), 5);
            Assert.Equal(r.Probabilities[k].Max(), perPrompt[k].GetProperty("max_probability").GetDouble(), 5);
            foreach (var file in new[] { "mask", "probability", "overlay" })
                Assert.True(File.Exists(Path.Combine(output, perPrompt[k].GetProperty(file).GetString()!)), file);
        }
        Assert.Equal("a/labels.png", entryA.GetProperty("labels").GetString());
    }

    [Fact]
    public void Segment_with_a_prompt_image_writes_its_maps_under_the_image_name()
    {
        string model = Path.Combine(_root, "tiny-visual"), output = Path.Combine(_root, "out-visual");
        Assert.Equal(0, Engine("init", "--family", "clipseg", "--preset", "tiny", "--vocab", ClipVocab, "--out", model, "--seed", "6"));
        string query = Path.Combine(_root, "query.png"), example = Path.Combine(_root, "example polyp.png");
        var q = new RgbImage(64, 40, Gradient(64, 40));
        OutputWriters.WriteRgb(query, q);
        OutputWriters.WriteRgb(example, new RgbImage(30, 30, Gradient(30, 30)));
        Assert.Equal(0, Engine("segment", "--model", model, "--image", query, "--prompt", "polyp", "--prompt-image", example, "--out", output));
        foreach (var f in new[] { "polyp_mask.png", "image-example-polyp_mask.png", "image-example-polyp_prob.png", "image-example-polyp_overlay.png", "labels.png" })
            Assert.Equal((64, 40), (ImageLoader.Load(Path.Combine(output, "query", f)).Width, 40));
        using var lib = SegmentationModel.Load(model);
        var r = lib.Segment(q, new SegmentationPrompt[] { "polyp", SegmentationPrompt.FromImageFile(example) });
        var prob = ImageLoader.Load(Path.Combine(output, "query", "image-example-polyp_prob.png"));
        for (int i = 0; i < 64 * 40; i++) Assert.True(Math.Abs(r.Probabilities[1][i] * 255 - prob.Pixels[3 * i]) <= 1, $"pixel {i}");

        // Prompt images only is a valid request; a missing or unreadable prompt image stops before any output.
        Assert.Equal(0, Engine("segment", "--model", model, "--image", query, "--prompt-image", example, "--out", output + "-only"));
        Assert.True(File.Exists(Path.Combine(output + "-only", "query", "image-example-polyp_mask.png")));
        File.WriteAllText(Path.Combine(_root, "notes.png"), "not an image");
        Assert.Equal(1, Engine("segment", "--model", model, "--image", query, "--prompt-image", Path.Combine(_root, "notes.png"), "--out", output + "-bad"));
        Assert.Equal(1, Engine("segment", "--model", model, "--image", query, "--prompt-image", Path.Combine(_root, "nope.png"), "--out", output + "-bad"));
        Assert.False(Directory.Exists(output + "-bad"));
        Assert.Equal(1, Engine("segment", "--model", model, "--image", query, "--out", output + "-bad"));
    }

    [Fact]
    public void A_folder_with_an_unreadable_file_still_segments_the_rest_and_exits_1()
    {
        string model = Path.Combine(_root, "tiny"), images = Path.Combine(_root, "mixed"), output = Path.Combine(_root, "out-mixed");
        Assert.Equal(0, Engine("init", "--family", "clipseg", "--preset", "tiny", "--vocab", ClipVocab, "--out", model));
        Directory.CreateDirectory(images);
        OutputWriters.WriteRgb(Path.Combine(images, "good.png"), new RgbImage(40, 30, Gradient(40, 30)));
        File.WriteAllText(Path.Combine(images, "broken.png"), "not an image");
        Assert.Equal(1, Engine("segment", "--model", model, "--image", images, "--prompt", "polyp", "--out", output));
        Assert.Equal((40, 30), (ImageLoader.Load(Path.Combine(output, "good", "polyp_mask.png")).Width, 30));
        Assert.False(Directory.Exists(Path.Combine(output, "broken")));
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "segmentation.json")));
        Assert.Single(report.RootElement.GetProperty("images").EnumerateArray());
        var failed = report.RootElement.GetProperty("failed").EnumerateArray().Single();
        Assert.EndsWith("broken.png", failed.GetProperty("image").GetString());
        Assert.False(string.IsNullOrWhiteSpace(failed.GetProperty("error").GetString()));
    }

    [Fact]
    public void Every_command_accepts_an_init_folder_and_errors_exit_non_zero()
    {
        string model = Path.Combine(_root, "tiny");
        Assert.Equal(0, Engine("init", "--family", "clipseg", "--preset", "tiny", "--vocab", ClipVocab, "--out", model));
        Assert.Equal(0, Engine("tokenize", "--model", model, "--text", "a polyp", "--text", "two kidneys"));

        var rng = new Random(3);
        var inputs = new Dictionary<string, Tensor>
        {
            ["pixel_values"] = Tensor.Randn(rng, 2, 3, 96, 96),
            ["input_ids"] = Tensor.FromArray(new long[] { 49406, 320, 6833, 49407, 49406, 1237, 49407, 49407 }, 2, 4),
            ["attention_mask"] = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 0 }, 2, 4),
            ["labels"] = Tensor.FromArray(Enumerable.Range(0, 2 * 96 * 96).Select(i => (float)(i % 3 == 0 ? 1 : 0)).ToArray(), 2, 96, 96),
        };
        string inFile = Path.Combine(_root, "in.safetensors"), outFile = Path.Combine(_root, "out.safetensors"), gradFile = Path.Combine(_root, "g.safetensors");
        SafetensorsFile.Write(inFile, inputs);
        Assert.Equal(0, Engine("forward", "--model", model, "--inputs", inFile, "--out", outFile, "--grads", gradFile));
        var o = SafetensorsFile.ReadAll(outFile);
        Assert.Equal(new[] { 2, 96, 96 }, o["logits"].Shape);
        Assert.True(float.IsFinite(o["loss"].Item()));
        Assert.Equal(SafetensorsFile.ReadAll(Path.Combine(model, "model.safetensors")).Count, SafetensorsFile.ReadAll(gradFile).Count);

        // Token ids outside the vocabulary, a missing folder, an empty prompt, a missing image: exit code 1.
        inputs["input_ids"] = Tensor.FromArray(new long[] { 49406, 320, 60000, 49407, 49406, 1237, 49407, 49407 }, 2, 4);
        SafetensorsFile.Write(inFile, inputs);
        Assert.Equal(1, Engine("forward", "--model", model, "--inputs", inFile, "--out", outFile));
        Assert.Equal(1, Engine("segment", "--model", Path.Combine(_root, "missing"), "--image", inFile, "--prompt", "x", "--out", _root));
        var png = Path.Combine(_root, "x.png");
        OutputWriters.WriteRgb(png, new RgbImage(8, 8, new byte[8 * 8 * 3]));
        Assert.Equal(1, Engine("segment", "--model", model, "--image", png, "--prompt", "", "--out", _root));
        Assert.Equal(1, Engine("segment", "--model", model, "--image", Path.Combine(_root, "none.png"), "--prompt", "x", "--out", _root));
    }
}
