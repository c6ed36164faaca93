using Engine.Data;

namespace Engine.Training.Data;

/// <summary>
/// Everything random about an epoch, as pure functions of (seed, epoch): the record order, which prompt key a record
/// uses when several are trained, and which variant of that prompt is drawn. Nothing is carried from one epoch to the
/// next, so a resumed run sees exactly the data an uninterrupted one would.
/// </summary>
public static class EpochPlan
{
    /// <summary>A permutation of 0..count-1 for this epoch.</summary>
    public static int[] Order(int seed, int epoch, int count)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new SplitMix((long)SplitMix.Mix(SplitMix.Mix((ulong)(uint)seed ^ 0x5EED_0000_0000UL) + (ulong)(uint)epoch)).Shuffle(order);
        return order;
    }

    /// <summary>The prompt key of <paramref name="record"/> in <paramref name="epoch"/> (uniform over <paramref name="keys"/>).</summary>
    public static string PromptKey(IReadOnlyList<string> keys, int seed, int epoch, int record)
    {
        if (keys.Count == 1) return keys[0];
        ulong h = SplitMix.Mix(SplitMix.Mix((ulong)(uint)seed ^ 0x4B45_5900UL) ^ ((ulong)(uint)epoch << 32 | (uint)record));
        return keys[(int)(h % (ulong)keys.Count)];
    }

    /// <summary>The training prompt of a record in an epoch: key by <see cref="PromptKey"/>, variant by the dataset's
    /// stateless draw.</summary>
    public static string Prompt(SegmentationDataset dataset, IReadOnlyList<string> keys, int seed, int epoch, int record)
        => dataset.Prompt(record, PromptKey(keys, seed, epoch, record), seed, epoch);

    /// <summary>Batches of record indices in this epoch's order; the last one may be smaller.</summary>
    public static List<int[]> Batches(int seed, int epoch, int count, int batchSize)
    {
        var order = Order(seed, epoch, count);
        var batches = new List<int[]>();
        for (int i = 0; i < order.Length; i += batchSize) batches.Add(order[i..Math.Min(order.Length, i + batchSize)]);
        return batches;
    }
}
