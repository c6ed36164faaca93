using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>CRIS's CoordConv (key <c>conv1</c> = a 3×3 conv_layer over C+2 channels): appends two coordinate channels
/// [x, y] after the features, x = linspace(−1, 1, W) along the width and y = linspace(−1, 1, H) along the height.</summary>
public sealed class CrisCoordConv : Module
{
    public CrisCoordConv(int inChannels, int outChannels, Random? rng = null)
    {
        Conv1 = Add("conv1", new CrisConvLayer(inChannels + 2, outChannels, 3, 1, rng));
    }

    public CrisConvLayer Conv1 { get; }

    public Tensor Forward(Tensor x) => Conv1.Forward(AddCoordinates(x));

    /// <summary>[B, C, H, W] → [B, C+2, H, W] with the x and y channels.</summary>
    public static Tensor AddCoordinates(Tensor x)
    {
        int b = x.Shape[0], h = x.Shape[2], w = x.Shape[3];
        var coords = new float[2 * h * w];
        var xs = Linspace(w); var ys = Linspace(h);
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
            {
                coords[i * w + j] = xs[j];
                coords[h * w + i * w + j] = ys[i];
            }
        var c = Tensor.FromArray(coords, 1, 2, h, w).To(x.Device).Expand(b, 2, h, w);
        return Ops.Cat(new[] { x, c }, 1);
    }

    /// <summary>torch.linspace(−1, 1, n) in float32 (torch computes start + i·step for the first half and end − (n−1−i)·step
    /// for the second, so both ends are exact).</summary>
    public static float[] Linspace(int n)
    {
        var r = new float[n];
        if (n == 1) { r[0] = -1f; return r; }
        float step = 2f / (n - 1);
        int half = n / 2;
        for (int i = 0; i < n; i++) r[i] = i < half ? -1f + step * i : 1f - step * (n - 1 - i);
        return r;
    }
}
