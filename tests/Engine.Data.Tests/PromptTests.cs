using Engine.Imaging;
using Engine.Data.Prompts;
using Xunit;

namespace Engine.Data.Tests;

public class PromptTests
{
    static readonly PromptGenerator Generator = new(PromptTemplates.LoadDefault());

    static BinaryMask Draw(int size, Func<int, int, bool> inside)
    {
        var m = new BinaryMask(size, size);
        for (int y = 0; y < size; y++) for (int x = 0; x < size; x++) m[x, y] = inside(x, y);
        return m;
    }

    static BinaryMask Disc(int size, double cx, double cy, double r) => Draw(size, (x, y) => (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r);

    static RgbImage Paint(BinaryMask mask, (byte R, byte G, byte B) inside, (byte R, byte G, byte B) outside)
    {
        var px = new byte[mask.Width * mask.Height * 3];
        for (int i = 0; i < mask.Data.Length; i++)
        {
            var c = mask.Data[i] ? inside : outside;
            px[3 * i] = c.R; px[3 * i + 1] = c.G; px[3 * i + 2] = c.B;
        }
        return new RgbImage(mask.Width, mask.Height, px);
    }

    static MaskComponent Single(BinaryMask m) => Assert.Single(ConnectedComponents.Find(m));

    [Theory]
    [InlineData(4.0)]
    [InlineData(8.0)]
    [InlineData(20.0)]
    public void Discs_AreRound(double r) => Assert.Equal("round", MaskAttributes.ShapeWord(Single(Disc(64, 32, 32, r))));

    [Theory]
    [InlineData(2.0, 0.0)]
    [InlineData(2.5, 0.7)]
    [InlineData(1.8, 2.0)]
    public void Ellipses_AreOval(double ratio, double angle)
    {
        double a = 16, b = 16 / ratio, c = Math.Cos(angle), s = Math.Sin(angle);
        var m = Draw(64, (x, y) =>
        {
            double u = (x - 32) * c + (y - 32) * s, v = -(x - 32) * s + (y - 32) * c;
            return u * u / (a * a) + v * v / (b * b) <= 1;
        });
        var comp = Single(m);
        Assert.Equal(ratio, comp.AxisRatio, 1);
        Assert.Equal("oval", MaskAttributes.ShapeWord(comp));
    }

    [Fact]
    public void StarsAndCrosses_AreIrregular()
    {
        var star = Draw(64, (x, y) => Math.Sqrt((x - 32) * (x - 32) + (y - 32) * (y - 32)) <= 14 * (1 + 0.45 * Math.Cos(3 * Math.Atan2(y - 32, x - 32))));
        Assert.Equal("irregular", MaskAttributes.ShapeWord(Single(star)));
        var cross = Draw(64, (x, y) => (Math.Abs(x - 32) <= 3 && Math.Abs(y - 32) <= 20) || (Math.Abs(y - 32) <= 3 && Math.Abs(x - 32) <= 20));
        Assert.Equal("irregular", MaskAttributes.ShapeWord(Single(cross)));
    }

    [Theory]
    [InlineData(0.31, "large")]
    [InlineData(0.30, "medium")]
    [InlineData(0.081, "medium")]
    [InlineData(0.08, "small")]
    [InlineData(0.001, "small")]
    [InlineData(0.00099, "tiny")]
    public void SizeThresholds(double coverage, string word) => Assert.Equal(word, MaskAttributes.SizeWord(coverage));

    [Theory]
    [InlineData(5, 5, "top left")]
    [InlineData(32, 5, "top center")]
    [InlineData(58, 5, "top right")]
    [InlineData(5, 32, "center left")]
    [InlineData(32, 32, "center")]
    [InlineData(58, 32, "center right")]
    [InlineData(5, 58, "bottom left")]
    [InlineData(32, 58, "bottom center")]
    [InlineData(58, 58, "bottom right")]
    public void LocationGrid(int cx, int cy, string word) =>
        Assert.Equal(word, MaskAttributes.LocationWord(Single(Disc(64, cx, cy, 3)), 64, 64));

    [Fact]
    public void ColourBuckets()
    {
        Assert.Equal("pink", ColourNames.Named(235, 150, 170));
        Assert.Equal("red", ColourNames.Named(200, 30, 30));
        Assert.Equal("gray", ColourNames.Named(128, 128, 128));
        Assert.Equal("white", ColourNames.Named(250, 250, 250));
        Assert.Equal("yellow", ColourNames.Named(220, 210, 40));
        Assert.Equal("bright", ColourNames.Brightness(220, 220, 220));
        Assert.Equal("dark", ColourNames.Brightness(30, 30, 30));
        Assert.Equal("gray", ColourNames.Brightness(128, 128, 128));
    }

    [Fact]
    public void PolypPrompts_FollowTheStudyChain()
    {
        var mask = Disc(64, 10, 10, 6);   // coverage 113/4096 = 0.028 -> small; top left
        var image = Paint(mask, (235, 150, 170), (90, 30, 25));
        var p = Generator.Generate("polyp", image, mask);
        var descriptions = Generator.Templates.Class("polyp").Descriptions;
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "p" + i), p.Keys.Order(Data.PromptKeyOrder.Instance));
        Assert.Equal([""], p["p0"]);
        Assert.Equal(["polyp"], p["p1"]);
        Assert.Equal(["round polyp"], p["p2"]);
        Assert.Equal(["pink round polyp"], p["p3"]);
        Assert.Equal(["small pink round polyp"], p["p4"]);
        Assert.Equal(["one small pink round polyp"], p["p5"]);
        Assert.Equal(["one small pink round polyp, located in top left of the image"], p["p6"]);
        Assert.Equal(descriptions.Select(d => "polyp which is " + d), p["p7"]);
        Assert.Equal(descriptions.Select(d => "one small pink round polyp which is " + d), p["p8"]);
        Assert.Equal(descriptions.Select(d => $"one small pink round polyp which is {d} located in top left of the image"), p["p9"]);
    }

    [Fact]
    public void TwoComponents_CountInWordsAndListDistinctAttributes()
    {
        var a = Disc(64, 12, 12, 6); var b = Disc(64, 44, 44, 12);
        var mask = Draw(64, (x, y) => a[x, y] || b[x, y]);
        var p = Generator.Generate("polyp", Paint(mask, (235, 150, 170), (90, 30, 25)), mask);
        Assert.Equal(["two medium and small pink round polyps, located in bottom right and top left of the image"], p["p6"]);
    }

    [Fact]
    public void JpegSpecks_AreNotCounted()
    {
        var disc = Disc(64, 32, 32, 10);
        disc[2, 60] = true;   // one-pixel speck: 0.02% of the image, 0.3% of the disc
        var attrs = MaskAttributes.Compute(Paint(disc, (200, 200, 200), (0, 0, 0)), disc, ColourStyle.Named);
        Assert.Equal(1, attrs.Count);
        Assert.Equal("one", attrs.Number);
    }

    [Fact]
    public void RadiologyPrompts_NameModalityAndOrgan()
    {
        var mask = Disc(64, 20, 30, 14);
        var image = Paint(mask, (140, 140, 140), (20, 20, 20));
        Assert.Equal(["Segment the liver in the abdominal region in the CT image"], Generator.Generate("liver", image, mask)["p1"]);
        var px = Generator.Generate("pneumothorax", image, mask);
        Assert.Equal(["Identify and segment the pneumothorax region in the chest X-ray"], px["p1"]);
        Assert.Equal(["gray round pneumothorax in the chest X-ray"], px["p3"]);
    }

    [Fact]
    public void EmptyMask_UsesWhenEmptyTemplates()
    {
        var mask = new BinaryMask(32, 32);
        var image = Paint(mask, (0, 0, 0), (60, 60, 60));
        var p = Generator.Generate("pneumothorax", image, mask);
        Assert.Equal(["pneumothorax in the chest X-ray"], p["p4"]);
        Assert.Equal(["no pneumothoraces in the chest X-ray"], p["p6"]);
        Assert.DoesNotContain(p.Values.SelectMany(v => v), s => s.Contains("  ") || s.Contains("located in of"));
    }

    [Fact]
    public void TemplatesFile_BadEntries_AreNamed()
    {
        var good = PromptTemplates.LoadDefault().RawJson;
        var e = Assert.Throws<DatasetException>(() => PromptTemplates.Parse(good.Replace("\"{shape} {class}\"", "\"{shpe} {class}\""), "t.json"));
        Assert.Contains("{shpe}", e.Message);
        Assert.Contains("t.json", e.Message);
        var u = Assert.Throws<DatasetException>(() => PromptTemplates.LoadDefault().Class("tumour"));
        Assert.Contains("tumour", u.Message);
        var cyc = Assert.Throws<DatasetException>(() => PromptTemplates.Parse(good.Replace("\"p5\": \"{number} {size} {colour} {shape} {noun}\"", "\"p5\": \"{p6}\""), "c.json"));
        Assert.Contains("cycle", cyc.Message);
    }
}
