namespace Engine.Data.Metrics;

/// <summary>Symmetric surface distances between two binary masks, in pixels, MONAI-style:
/// the surface of a mask is its foreground pixels that have a 4-neighbour outside the mask (pixels on the image border
/// count as surface); d(A→B) are the Euclidean distances from each surface pixel of A to the nearest surface pixel of
/// B; HD95 = max(p95(d(A→B)), p95(d(B→A))) with linearly interpolated percentiles (numpy's default).
/// Both masks empty -> 0; exactly one empty -> the image diagonal sqrt(W²+H²).
/// The fast path uses an exact Euclidean distance transform (Felzenszwalb-Huttenlocher); <see cref="Hausdorff95Naive"/>
/// is the brute-force reference it is tested against.</summary>
public static class SurfaceDistance
{
    public static double Hausdorff95(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b, int width, int height) =>
        Hausdorff95Core(a, b, width, height, DirectedDistances);

    public static double Hausdorff95Naive(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b, int width, int height) =>
        Hausdorff95Core(a, b, width, height, DirectedDistancesNaive);

    delegate double[] Directed(bool[] fromSurface, bool[] toSurface, int width, int height);

    static double Hausdorff95Core(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b, int width, int height, Directed directed)
    {
        if (a.Length != width * height || b.Length != width * height)
            throw new ArgumentException($"masks have {a.Length} and {b.Length} pixels, expected {width}x{height}");
        bool aEmpty = a.IndexOf(true) < 0, bEmpty = b.IndexOf(true) < 0;
        if (aEmpty && bEmpty) return 0;
        if (aEmpty || bEmpty) return Math.Sqrt((double)width * width + (double)height * height);
        var sa = Surface(a, width, height);
        var sb = Surface(b, width, height);
        return Math.Max(Percentile(directed(sa, sb, width, height), 95), Percentile(directed(sb, sa, width, height), 95));
    }

    /// <summary>Foreground pixels with a 4-neighbour that is background or outside the image.</summary>
    public static bool[] Surface(ReadOnlySpan<bool> mask, int width, int height)
    {
        var s = new bool[width * height];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int i = y * width + x;
            if (!mask[i]) continue;
            s[i] = x == 0 || y == 0 || x == width - 1 || y == height - 1
                   || !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width];
        }
        return s;
    }

    static double[] DirectedDistances(bool[] from, bool[] to, int width, int height)
    {
        var d2 = SquaredDistanceTransform(to, width, height);
        var list = new List<double>();
        for (int i = 0; i < from.Length; i++) if (from[i]) list.Add(Math.Sqrt(d2[i]));
        return list.ToArray();
    }

    static double[] DirectedDistancesNaive(bool[] from, bool[] to, int width, int height)
    {
        var targets = new List<(int X, int Y)>();
        for (int i = 0; i < to.Length; i++) if (to[i]) targets.Add((i % width, i / width));
        var list = new List<double>();
        for (int i = 0; i < from.Length; i++)
        {
            if (!from[i]) continue;
            int x = i % width, y = i / width;
            double best = double.PositiveInfinity;
            foreach (var (tx, ty) in targets) best = Math.Min(best, (double)(x - tx) * (x - tx) + (double)(y - ty) * (y - ty));
            list.Add(Math.Sqrt(best));
        }
        return list.ToArray();
    }

    /// <summary>Exact squared Euclidean distance from every pixel to the nearest feature pixel (separable 1-D lower
    /// envelopes of parabolas, Felzenszwalb &amp; Huttenlocher 2012). Requires at least one feature pixel.</summary>
    public static double[] SquaredDistanceTransform(bool[] feature, int width, int height)
    {
        const double Inf = 1e20;
        var d = new double[width * height];
        for (int i = 0; i < d.Length; i++) d[i] = feature[i] ? 0 : Inf;
        int n = Math.Max(width, height);
        var f = new double[n]; var outBuf = new double[n]; var v = new int[n]; var z = new double[n + 1];
        for (int x = 0; x < width; x++)
        {
            for (int y = 0; y < height; y++) f[y] = d[y * width + x];
            Transform1D(f, height, outBuf, v, z);
            for (int y = 0; y < height; y++) d[y * width + x] = outBuf[y];
        }
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) f[x] = d[y * width + x];
            Transform1D(f, width, outBuf, v, z);
            for (int x = 0; x < width; x++) d[y * width + x] = outBuf[x];
        }
        return d;
    }

    static void Transform1D(double[] f, int n, double[] d, int[] v, double[] z)
    {
        int k = 0;
        v[0] = 0;
        z[0] = double.NegativeInfinity;
        z[1] = double.PositiveInfinity;
        for (int q = 1; q < n; q++)
        {
            double s = Intersection(f, q, v[k]);
            while (s <= z[k]) s = Intersection(f, q, v[--k]);   // z[0] = -inf stops this at k = 0
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = double.PositiveInfinity;
        }
        k = 0;
        for (int q = 0; q < n; q++)
        {
            while (z[k + 1] < q) k++;
            int p = v[k];
            d[q] = (double)(q - p) * (q - p) + f[p];
        }
    }

    static double Intersection(double[] f, int q, int p) => (f[q] + (double)q * q - (f[p] + (double)p * p)) / (2.0 * q - 2.0 * p);

    /// <summary>Percentile with linear interpolation between order statistics (numpy.percentile's default).</summary>
    public static double Percentile(double[] values, double percent)
    {
        if (values.Length == 0) throw new ArgumentException("percentile of an empty list");
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        double rank = percent / 100.0 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
