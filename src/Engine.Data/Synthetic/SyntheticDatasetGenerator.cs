using Engine.Imaging;
using System.Globalization;
using Engine.Data.Converters;
using Engine.Data.Prompts;

namespace Engine.Data.Synthetic;

/// <summary>The demo dataset: small greyscale images of textured noise with bright and dark blobs of different shapes
/// (round / oval / irregular), sizes (small / medium) and places. One record per blob (class "blob"), whose prompts
/// come from the normal prompt generator, so they name what was drawn ("small bright oval blob, located in top left of
/// the image"); a drawing is redrawn until the measured words equal the intended ones. Two blobs in one image always
/// differ in brightness, shape and grid cell, hence in their prompts and masks. Fully determined by the seed: image i
/// uses its own random stream, so the result does not depend on threading.</summary>
public static class SyntheticDatasetGenerator
{
    public const string ClassName = "blob";
    static readonly string[] Shapes = ["round", "oval", "irregular"];
    static readonly string[] SizeWords = ["small", "medium"];

    /// <summary>One drawn blob: its intended words and its mask.</summary>
    public sealed record Blob(string Shape, string Brightness, string Size, BinaryMask Mask);

    public static ConversionResult Generate(SyntheticOptions options, IConversionLog log)
    {
        if (options.Count < 1) throw new ArgumentException($"--count must be at least 1 (got {options.Count})");
        if (options.Size is < 48 or > 512) throw new ArgumentException($"--size must be between 48 and 512 (got {options.Size})");
        if (options.ObjectsPerImage is < 1 or > 2) throw new ArgumentException($"objects per image must be 1 or 2 (got {options.ObjectsPerImage})");
        var writer = new DatasetWriter(options.OutputDir, PromptTemplates.Resolve(options.TemplatesPath), log);
        var ids = Enumerable.Range(0, options.Count).Select(i => $"synth_{i:D5}").ToList();
        var splitOf = options.Split.Assign(ids, options.Seed);
        var perImage = new List<DatasetRecord>[options.Count];
        int done = 0;
        Parallel.For(0, options.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) }, i =>
        {
            var (image, blobs) = DrawImage(options.Seed, i, options.Size, options.ObjectsPerImage, writer.Prompts);
            var imageName = ids[i] + ".png";
            writer.WriteImagePng(imageName, image);
            var records = new List<DatasetRecord>();
            for (int b = 0; b < blobs.Count; b++)
            {
                var maskName = $"{ids[i]}_{b}.png";
                writer.WriteMask(maskName, blobs[b].Mask);
                records.Add(writer.CreateRecord(imageName, maskName, ClassName, image, blobs[b].Mask));
            }
            perImage[i] = records;
            log.Progress("images", Interlocked.Increment(ref done), options.Count);
        });
        for (int i = 0; i < options.Count; i++)
            foreach (var r in perImage[i]) writer.Add(splitOf[ids[i]], r);
        var settings = new Dictionary<string, string>
        {
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["split"] = options.Split.ToString(),
            ["count"] = options.Count.ToString(CultureInfo.InvariantCulture),
            ["size"] = options.Size.ToString(CultureInfo.InvariantCulture),
            ["objects_per_image"] = options.ObjectsPerImage.ToString(CultureInfo.InvariantCulture),
        };
        return writer.Finish("synthetic", "generated", [], settings);
    }

    /// <summary>Draws image <paramref name="index"/> of the dataset with seed <paramref name="seed"/>.</summary>
    public static (RgbImage Image, List<Blob> Blobs) DrawImage(long seed, int index, int size, int objects, PromptGenerator prompts)
    {
        var rng = new SplitMix((long)SplitMix.Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)index));
        for (int attempt = 0; ; attempt++)
        {
            var background = Texture(rng, size);
            var brightFirst = rng.NextInt(2) == 0;
            var shapes = Shapes.ToList();
            rng.Shuffle(shapes);
            var cells = Enumerable.Range(0, 9).ToList();
            rng.Shuffle(cells);
            var gray = (double[])background.Clone();
            var blobs = new List<Blob>();
            var occupied = new bool[size * size];
            bool ok = true;
            for (int o = 0; o < objects && ok; o++)
            {
                var brightness = (o == 0) == brightFirst ? "bright" : "dark";
                var sizeWord = SizeWords[rng.NextInt(SizeWords.Length)];
                var mask = DrawBlob(rng, size, shapes[o], sizeWord, cells[o], occupied);
                if (mask is null) { ok = false; break; }
                double level = brightness == "bright" ? rng.NextDouble(205, 235) : rng.NextDouble(20, 50);
                for (int p = 0; p < gray.Length; p++)
                    if (mask.Data[p]) gray[p] = level + 0.35 * (background[p] - 128);
                blobs.Add(new Blob(shapes[o], brightness, sizeWord, mask));
            }
            if (!ok) continue;
            var bytes = new byte[size * size];
            for (int p = 0; p < bytes.Length; p++) bytes[p] = (byte)Math.Clamp(Math.Round(gray[p] + 4 * rng.NextGaussian()), 0, 255);
            var image = RgbImage.FromGray(size, size, bytes);
            // Redraw until the words measured on the pixels are the words intended (a small blob may rasterise as
            // another shape), so the prompts always say what the image shows. attempt bounds a pathological seed.
            if (attempt < 200 && !blobs.All(b => Matches(b, image, prompts))) continue;
            return (image, blobs);
        }
    }

    static bool Matches(Blob blob, RgbImage image, PromptGenerator prompts)
    {
        var a = MaskAttributes.Compute(image, blob.Mask, prompts.ColourStyleFor(ClassName));
        return a.Count == 1 && a.Shape == blob.Shape && a.Colour == blob.Brightness && a.Size == blob.Size;
    }

    /// <summary>Rasterises one blob centred in grid cell <paramref name="cell"/> (row-major 3x3), not touching
    /// <paramref name="occupied"/> (with a 2-pixel gap); null when it does not fit.</summary>
    static BinaryMask? DrawBlob(SplitMix rng, int size, string shape, string sizeWord, int cell, bool[] occupied)
    {
        double r = size * (sizeWord == "small" ? rng.NextDouble(0.085, 0.11) : rng.NextDouble(0.175, 0.2));
        double angle = rng.NextDouble(0, Math.PI);
        double phase = rng.NextDouble(0, 2 * Math.PI);
        double stretch = rng.NextDouble(1.55, 1.8);
        double extent = shape switch { "oval" => r * stretch, "irregular" => r * 1.5, _ => r } + 1;
        double third = size / 3.0;
        double cx = Math.Clamp((cell % 3 + rng.NextDouble(0.3, 0.7)) * third, extent, size - 1 - extent);
        double cy = Math.Clamp((cell / 3 + rng.NextDouble(0.3, 0.7)) * third, extent, size - 1 - extent);
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        var mask = new BinaryMask(size, size);
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            double dx = x - cx, dy = y - cy;
            double u = dx * cos + dy * sin, v = -dx * sin + dy * cos;
            bool inside = shape switch
            {
                "round" => u * u + v * v <= r * r,
                "oval" => (u / (r * stretch)) * (u / (r * stretch)) + (v * stretch / r) * (v * stretch / r) <= 1,
                _ => Math.Sqrt(u * u + v * v) <= r * (1 + 0.45 * Math.Cos(3 * Math.Atan2(v, u) + phase) + 0.15 * Math.Cos(5 * Math.Atan2(v, u))),
            };
            mask[x, y] = inside;
        }
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            if (!mask[x, y]) continue;
            for (int dy = -2; dy <= 2; dy++)
            for (int dx = -2; dx <= 2; dx++)
            {
                int nx = x + dx, ny = y + dy;
                if (nx >= 0 && ny >= 0 && nx < size && ny < size && occupied[ny * size + nx]) return null;
            }
        }
        for (int p = 0; p < occupied.Length; p++) occupied[p] |= mask.Data[p];
        return mask;
    }

    /// <summary>Mid-grey textured noise: two octaves of bilinear value noise (cells of size/4 and size/10) around 128.</summary>
    static double[] Texture(SplitMix rng, int size)
    {
        var t = new double[size * size];
        Array.Fill(t, rng.NextDouble(115, 140));
        foreach (var (cells, amplitude) in new[] { (4, 22.0), (10, 10.0) })
        {
            var grid = new double[(cells + 1) * (cells + 1)];
            for (int g = 0; g < grid.Length; g++) grid[g] = rng.NextDouble(-1, 1) * amplitude;
            double step = (double)size / cells;
            for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double gx = x / step, gy = y / step;
                int x0 = Math.Min((int)gx, cells - 1), y0 = Math.Min((int)gy, cells - 1);
                double fx = gx - x0, fy = gy - y0;
                double a = grid[y0 * (cells + 1) + x0], b = grid[y0 * (cells + 1) + x0 + 1];
                double c = grid[(y0 + 1) * (cells + 1) + x0], d = grid[(y0 + 1) * (cells + 1) + x0 + 1];
                t[y * size + x] += (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
            }
        }
        return t;
    }
}
