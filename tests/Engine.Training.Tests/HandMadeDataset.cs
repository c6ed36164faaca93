using System.Text.Json.Nodes;
using Engine.Imaging;

namespace Engine.Training.Tests;

/// <summary>Writes tiny datasets in the standard layout from explicit masks, for hand-computed metric checks.</summary>
internal sealed class HandMadeDataset
{
    private readonly JsonArray _records = new();

    public HandMadeDataset(string root)
    {
        Root = root;
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "masks"));
        Directory.CreateDirectory(Path.Combine(root, "anns"));
    }

    public string Root { get; }

    public void AddImage(string name, int width, int height)
        => OutputWriters.WriteRgb(Path.Combine(Root, "images", name), new RgbImage(width, height, new byte[width * height * 3]));

    /// <param name="mask">Row strings, '#' = foreground.</param>
    public void AddRecord(string image, string maskName, string cls, string[] mask, params (string Key, string Prompt)[] prompts)
    {
        int h = mask.Length, w = mask[0].Length;
        var bytes = new byte[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bytes[y * w + x] = mask[y][x] == '#' ? (byte)255 : (byte)0;
        OutputWriters.WriteGray(Path.Combine(Root, "masks", maskName), bytes, w, h);
        var p = new JsonObject();
        foreach (var (k, v) in prompts) p[k] = v;
        _records.Add(new JsonObject { ["img_name"] = image, ["mask_name"] = maskName, ["class"] = cls, ["prompts"] = p });
    }

    public void Save(string split) => File.WriteAllText(Path.Combine(Root, "anns", split + ".json"), _records.ToJsonString());

    /// <summary>Probability map from row strings: '#' = 0.9, '+' = exactly 0.5, else 0.1.</summary>
    public static float[] Probabilities(string[] rows)
    {
        int h = rows.Length, w = rows[0].Length;
        var p = new float[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) p[y * w + x] = rows[y][x] switch { '#' => 0.9f, '+' => 0.5f, _ => 0.1f };
        return p;
    }
}
