namespace Engine.Data.Prompts;

/// <summary>Labels the 8-connected foreground components of a mask and measures each (area, centroid, perimeter,
/// second-moment axes). Components come out largest first (ties: top-most, then left-most first pixel).</summary>
public static class ConnectedComponents
{
    public static IReadOnlyList<MaskComponent> Find(BinaryMask mask)
    {
        int w = mask.Width, h = mask.Height;
        var labels = new int[w * h];
        var stack = new Stack<int>();
        var comps = new List<(MaskComponent C, int First)>();
        int next = 0;
        for (int start = 0; start < labels.Length; start++)
        {
            if (!mask.Data[start] || labels[start] != 0) continue;
            int label = ++next;
            labels[start] = label;
            stack.Push(start);
            long n = 0; double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                int x = i % w, y = i / w;
                n++; sx += x; sy += y; sxx += (double)x * x; syy += (double)y * y; sxy += (double)x * y;
                for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int nx = x + dx, ny = y + dy;
                    if ((dx | dy) == 0 || nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    int j = ny * w + nx;
                    if (mask.Data[j] && labels[j] == 0) { labels[j] = label; stack.Push(j); }
                }
            }
            double cx = sx / n, cy = sy / n;
            // Central second moments (+1/12 for the pixel's own extent) -> axes of the equivalent ellipse.
            double mxx = sxx / n - cx * cx + 1.0 / 12, myy = syy / n - cy * cy + 1.0 / 12, mxy = sxy / n - cx * cy;
            double tr = mxx + myy, det = Math.Sqrt(Math.Max(0, (mxx - myy) * (mxx - myy) / 4 + mxy * mxy));
            double l1 = tr / 2 + det, l2 = Math.Max(0, tr / 2 - det);
            comps.Add((new MaskComponent((int)n, cx, cy, 0, 4 * Math.Sqrt(l1), 4 * Math.Sqrt(l2)), start));
        }
        var perimeters = Perimeters(labels, w, h, next);
        return comps.Select((c, k) => (C: c.C with { Perimeter = perimeters[k + 1] }, c.First))
            .OrderByDescending(c => c.C.Area).ThenBy(c => c.First).Select(c => c.C).ToList();
    }

    /// <summary>Outline length of every label by marching squares over 2x2 cells (pixels as corners): a corner cut
    /// adds √2/2, a straight edge 1, a saddle two cuts. Unlike counting pixel edges this does not overestimate
    /// diagonal outlines, so a digital disc has circularity close to 1.</summary>
    static double[] Perimeters(int[] labels, int w, int h, int count)
    {
        var per = new double[count + 1];
        int At(int x, int y) => x < 0 || y < 0 || x >= w || y >= h ? 0 : labels[y * w + x];
        Span<int> corner = stackalloc int[4];
        for (int y = -1; y < h; y++)
        for (int x = -1; x < w; x++)
        {
            corner[0] = At(x, y); corner[1] = At(x + 1, y); corner[2] = At(x + 1, y + 1); corner[3] = At(x, y + 1);
            for (int c = 0; c < 4; c++)
            {
                int l = corner[c];
                if (l == 0) continue;
                bool seen = false;
                for (int e = 0; e < c; e++) if (corner[e] == l) seen = true;
                if (seen) continue;
                // corners clockwise: 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left
                int bits = 0, inside = 0;
                for (int e = 0; e < 4; e++) if (corner[e] == l) { bits |= 1 << e; inside++; }
                per[l] += inside switch
                {
                    1 or 3 => Math.Sqrt(0.5),
                    2 => bits is 0b0101 or 0b1010 ? 2 * Math.Sqrt(0.5) : 1.0,
                    _ => 0.0,
                };
            }
        }
        return per;
    }
}
