using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// CRIS's Projector(word_dim, in_dim = vis_dim/2, kernel 3) (keys <c>proj.*</c>): <c>vis</c> = up2 → conv_layer 3×3
/// (2·in→2·in, "1") → up2 → conv_layer 3×3 (2·in→in, "3") → Conv 1×1 with bias ("4"), stride 16 → 4;
/// <c>txt</c> = Linear(word_dim → in·9 + 1) on the sentence feature, giving each sample its own 3×3 kernel [1, in, 3, 3]
/// and bias; the prediction is that per-sample convolution (one grouped conv with groups = B, padding 1) → [B, 1, H/4, W/4].
/// </summary>
public sealed class CrisProjector : Module
{
    public CrisProjector(int wordDim, int inDim, int kernel = 3, Random? rng = null)
    {
        InDim = inDim; Kernel = kernel;
        Vis = Add("vis", new CrisProjectorVis(inDim, rng));
        Txt = Add("txt", new Linear(wordDim, inDim * kernel * kernel + 1, rng: rng));
    }

    public int InDim { get; }
    public int Kernel { get; }
    public CrisProjectorVis Vis { get; }
    public Linear Txt { get; }

    /// <param name="x">decoder output [B, 2·in, h, w].</param>
    /// <param name="state">sentence feature [B, word_dim].</param>
    /// <param name="sink">records vis and txt.</param>
    public Tensor Forward(Tensor x, Tensor state, IntermediateSink? sink = null)
    {
        var v = Vis.Forward(x);                                  // [B, in, H, W]
        sink?.Add("vis", v);
        int b = v.Shape[0], c = v.Shape[1], h = v.Shape[2], w = v.Shape[3];
        var word = Txt.Forward(state);                           // [B, in*k*k + 1]
        sink?.Add("txt", word);
        int kk = c * Kernel * Kernel;
        var weight = word.Narrow(1, 0, kk).Reshape(b, c, Kernel, Kernel);
        var bias = word.Narrow(1, kk, 1).Reshape(b);
        var output = CrisConv.ApplyGrouped(v.Reshape(1, b * c, h, w), weight, bias, Kernel / 2, b); // [1, B, H, W]
        return output.Reshape(b, 1, h, w);
    }
}
