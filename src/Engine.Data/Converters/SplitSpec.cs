using System.Globalization;

namespace Engine.Data.Converters;

/// <summary>How items are divided into train/val/test: fractions (summing to 1) or exact counts. Counts apply exactly
/// when the number of items equals their sum (the published dataset), otherwise as the equivalent fractions.
/// Fractions give val = round(n·fval), test = round(n·ftest), train = the rest.</summary>
public sealed record SplitSpec(double Train, double Val, double Test, bool IsCounts)
{
    public static SplitSpec Fractions(double train, double val, double test) => new(train, val, test, false);
    public static SplitSpec Counts(int train, int val, int test) => new(train, val, test, true);

    /// <summary>Parses "0.8,0.1,0.1" (fractions summing to 1) or "20,0,360" (whole counts).</summary>
    public static SplitSpec Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3)
            throw new ArgumentException($"--split '{text}' must have three comma-separated values train,val,test (fractions like 0.8,0.1,0.1 or counts like 20,0,360)");
        var v = new double[3];
        for (int i = 0; i < 3; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || v[i] < 0 || !double.IsFinite(v[i]))
                throw new ArgumentException($"--split '{text}': '{parts[i]}' is not a non-negative number");
        double sum = v.Sum();
        if (Math.Abs(sum - 1) < 1e-6) return Fractions(v[0], v[1], v[2]);
        if (v.All(x => x == Math.Floor(x)) && sum > 0) return Counts((int)v[0], (int)v[1], (int)v[2]);
        throw new ArgumentException($"--split '{text}': fractions must sum to 1 (they sum to {sum.ToString(CultureInfo.InvariantCulture)}), or give whole counts");
    }

    public (int Train, int Val, int Test) Resolve(int n)
    {
        double total = Train + Val + Test;
        if (IsCounts && Math.Abs(total - n) < 0.5) return ((int)Train, (int)Val, (int)Test);
        double fv = Val / total, ft = Test / total;
        int val = (int)Math.Round(n * fv, MidpointRounding.AwayFromZero);
        int test = (int)Math.Round(n * ft, MidpointRounding.AwayFromZero);
        if (val + test > n) test = n - val;
        return (n - val - test, val, test);
    }

    public override string ToString() => IsCounts
        ? FormattableString.Invariant($"{Train},{Val},{Test} (counts)")
        : FormattableString.Invariant($"{Train},{Val},{Test}");

    /// <summary>Seeded assignment: ids sorted ordinally, shuffled with SplitMix(seed), then cut train|val|test.
    /// The result depends only on the id set, the spec and the seed.</summary>
    public Dictionary<string, string> Assign(IEnumerable<string> ids, long seed)
    {
        var list = ids.Distinct().Order(StringComparer.Ordinal).ToList();
        new SplitMix(seed).Shuffle(list);
        var (nt, nv, _) = Resolve(list.Count);
        var result = new Dictionary<string, string>();
        for (int i = 0; i < list.Count; i++) result[list[i]] = i < nt ? "train" : i < nt + nv ? "val" : "test";
        return result;
    }
}
