using System.Text.Json;
using Xunit;

namespace Engine.Imaging.Tests;

/// <summary>
/// PilResize against Pillow's own output (Data/pil_reference.json, see generate_pil_reference.py): every filter,
/// down- and up-scaling, one axis only, RGB and gray — byte for byte.
/// </summary>
public class PilResizeTests
{
    private static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(TestPaths.DataFile("pil_reference.json"))).RootElement;

    [Fact]
    public void MatchesPillowByteForByte()
    {
        var failures = new List<string>();
        int cases = 0;
        foreach (var image in Reference.GetProperty("images").EnumerateArray())
        {
            int w = image.GetProperty("width").GetInt32(), h = image.GetProperty("height").GetInt32(), ch = image.GetProperty("channels").GetInt32();
            var pixels = Convert.FromBase64String(image.GetProperty("pixels").GetString()!);
            foreach (var c in image.GetProperty("cases").EnumerateArray())
            {
                cases++;
                var filter = Enum.Parse<ResampleFilter>(c.GetProperty("filter").GetString()!);
                int ow = c.GetProperty("width").GetInt32(), oh = c.GetProperty("height").GetInt32();
                var expected = Convert.FromBase64String(c.GetProperty("pixels").GetString()!);
                var got = PilResize.Resize(pixels, w, h, ch, ow, oh, filter);
                int diffs = expected.Zip(got).Count(p => p.First != p.Second);
                if (diffs > 0)
                {
                    int maxDiff = expected.Zip(got).Max(p => Math.Abs(p.First - p.Second));
                    failures.Add($"{w}x{h}x{ch} -> {ow}x{oh} {filter}: {diffs} bytes differ (max {maxDiff})");
                }
            }
        }
        Assert.True(cases >= 70, $"only {cases} cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Worked example from Pillow's algorithm: gray [0, 100, 200, 255] to 2 pixels, bilinear. Scale 2 stretches the
    /// triangle to support 2. Output 0: centre 1.0, taps x = 0..2 with raw weights tri((x − 1 + 0.5)/2) = 0.75,
    /// 0.75, 0.25 (sum 1.75) → (0·0.75 + 100·0.75 + 200·0.25)/1.75 = 71.43 → 71. Output 1: centre 3.0, taps
    /// x = 1..3, weights 0.25, 0.75, 0.75 → (25 + 150 + 191.25)/1.75 = 209.29 → 209. Nearest picks source
    /// ⌊(i + 0.5)·2⌋ = 1, 3 → [100, 255].
    /// </summary>
    [Fact]
    public void HandComputedSmallCases()
    {
        var row = new byte[] { 0, 100, 200, 255 };
        Assert.Equal(new byte[] { 71, 209 }, PilResize.Resize(row, 4, 1, 1, 2, 1, ResampleFilter.Bilinear));
        Assert.Equal(new byte[] { 100, 255 }, PilResize.Resize(row, 4, 1, 1, 2, 1, ResampleFilter.Nearest));
        // Upscaling 4 → 7 bilinear (Pillow: [0, 36, 93, 150, 204, 235, 255]); output 1 has centre 0.5 + 4/7·1.5... 
        Assert.Equal(new byte[] { 0, 36, 93, 150, 204, 235, 255 }, PilResize.Resize(row, 4, 1, 1, 7, 1, ResampleFilter.Bilinear));
        Assert.Equal(new byte[] { 19, 152, 247 }, PilResize.Resize(row, 4, 1, 1, 3, 1, ResampleFilter.Bicubic));
    }

    [Fact]
    public void OpenClipShortestSideResizeAndCenterCropMatchTorchvisionOnPillow()
    {
        foreach (var c in Reference.GetProperty("open_clip").EnumerateArray())
        {
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var image = new RgbImage(w, h, Convert.FromBase64String(c.GetProperty("pixels").GetString()!));
            var ready = ImagePreprocessor.ResizeAndCrop(image, PreprocessorConfig.OpenClip(24));
            Assert.Equal(24, ready.Width);
            Assert.Equal(24, ready.Height);
            Assert.Equal(Convert.FromBase64String(c.GetProperty("out").GetString()!), ready.Pixels);
        }
    }

    [Fact]
    public void IdentityAndInvalidSizes()
    {
        var img = new RgbImage(3, 2, Enumerable.Range(0, 18).Select(i => (byte)(i * 10)).ToArray());
        Assert.Equal(img.Pixels, PilResize.Resize(img, 3, 2, ResampleFilter.Bicubic).Pixels);
        Assert.Throws<ArgumentOutOfRangeException>(() => PilResize.Resize(img, 0, 2, ResampleFilter.Bilinear));
        Assert.Throws<ArgumentException>(() => PilResize.Resize(new byte[5], 2, 2, 1, 4, 4, ResampleFilter.Bilinear));
    }
}
