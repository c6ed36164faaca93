using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Engine.Training.Models;

/// <summary>
/// The image encoder's activations for a frozen image encoder, kept from epoch to epoch: decoder-only fine-tuning
/// otherwise runs the whole vision tower on every image in every epoch (~85 % of a CLIPSeg rd64-refined decoder
/// step at 352 px). Keyed by the SHA-256 of each image's preprocessed pixels, so an image that comes back different
/// (augmented, another size) simply misses, and a hit is exactly what the encoder would give it again: the encoder
/// computes each image's rows in the same order whatever batch it is in. Within a byte budget: images past it are
/// encoded every time. Only valid while the encoder's weights do not change (cleared when the trained parts change).
/// </summary>
internal sealed class FrozenActivationCache
{
    /// <summary>One image's activations: per activation its values and its shape without the batch axis.</summary>
    private sealed record Entry(float[][] Data, int[][] Shapes);

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _bytes;

    /// <summary>Bytes of activations the cache may hold; 0 turns it off.</summary>
    public long BudgetBytes { get; set; }

    /// <summary>Batches served from the cache (every image a hit) and batches encoded.</summary>
    public int Hits { get; private set; }
    public int Misses { get; private set; }

    public int Count => _entries.Count;

    /// <summary>Batches served, batches encoded, images held.</summary>
    public (int Hits, int Misses, int Images) Stats => (Hits, Misses, Count);

    public void Clear() { _entries.Clear(); _bytes = 0; }

    /// <summary>Sets <see cref="BudgetBytes"/> (negative counts as 0); 0 also drops what is held.</summary>
    public void SetBudget(long bytes)
    {
        BudgetBytes = Math.Max(0, bytes);
        if (BudgetBytes == 0) Clear();
    }

    /// <summary>The activations of <paramref name="pixelValues"/> [B, C, H, W] - each [B, ...] on
    /// <paramref name="device"/> - from the cache when every image is in it, else from <paramref name="encode"/>
    /// (called under no-grad), keeping what fits the budget.</summary>
    public List<Tensor> Get(Tensor pixelValues, Func<Tensor, List<Tensor>> encode, Device device)
    {
        if (BudgetBytes <= 0) { Misses++; return Encode(pixelValues, encode); }
        int batch = pixelValues.Shape[0];
        var pixels = pixelValues.ToArray();
        int perImage = pixels.Length / batch;
        var keys = new string[batch];
        var shape = "/" + string.Join("x", pixelValues.Shape.Skip(1));
        for (int b = 0; b < batch; b++)
            keys[b] = Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(pixels.AsSpan(b * perImage, perImage)))) + shape;

        var cached = new Entry[batch];
        bool all = true;
        for (int b = 0; b < batch && all; b++) all = _entries.TryGetValue(keys[b], out cached[b]!);
        if (all)
        {
            Hits++;
            return Assemble(cached, batch, device);
        }

        Misses++;
        var acts = Encode(pixelValues, encode);
        long imageBytes = acts.Sum(t => t.Numel / batch) * sizeof(float);
        if (_bytes + imageBytes > BudgetBytes) return acts; // full: nothing more to copy out
        var shapes = acts.Select(t => t.Shape.Skip(1).ToArray()).ToArray();
        var data = acts.Select(t => t.ToArray()).ToArray();
        for (int b = 0; b < batch && _bytes + imageBytes <= BudgetBytes; b++)
        {
            if (_entries.ContainsKey(keys[b])) continue;
            var perActivation = new float[acts.Count][];
            for (int a = 0; a < acts.Count; a++)
            {
                int n = data[a].Length / batch;
                perActivation[a] = data[a].AsSpan(b * n, n).ToArray();
            }
            _entries[keys[b]] = new Entry(perActivation, shapes);
            _bytes += imageBytes;
        }
        return acts;
    }

    private static List<Tensor> Encode(Tensor pixelValues, Func<Tensor, List<Tensor>> encode)
    {
        using (Tensor.NoGrad()) return encode(pixelValues);
    }

    private static List<Tensor> Assemble(Entry[] cached, int batch, Device device)
    {
        var result = new List<Tensor>();
        for (int a = 0; a < cached[0].Data.Length; a++)
        {
            int n = cached[0].Data[a].Length;
            var all = new float[batch * n];
            for (int b = 0; b < batch; b++) cached[b].Data[a].CopyTo(all, b * n);
            result.Add(Tensor.FromArray(all, [batch, .. cached[0].Shapes[a]]).To(device));
        }
        return result;
    }
}
