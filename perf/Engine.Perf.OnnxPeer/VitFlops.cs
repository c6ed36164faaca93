using Engine.Models.Loading;

namespace Engine.Perf.OnnxPeer;

/// <summary>FLOPs of one image's forward through the CLIP vision tower + projection, counted as 2 x multiply-adds of
/// the dense work: patch conv, q/k/v/out projections, MLP, q.k^T and probs.v, visual projection. LayerNorm, softmax,
/// activations and residual adds (well under 1% here) are left out, as a FLOP lower bound usually does.</summary>
internal static class VitFlops
{
    public static double PerImage(ClipVisionConfig c)
    {
        double hidden = c.HiddenSize, inter = c.IntermediateSize, patches = c.GridSize * c.GridSize, tokens = patches + 1;
        double patchEmbed = patches * hidden * c.NumChannels * c.PatchSize * c.PatchSize;
        double perLayer = 4 * tokens * hidden * hidden      // q, k, v, out projections
                        + 2 * tokens * hidden * inter       // fc1, fc2
                        + 2 * tokens * tokens * hidden;     // q.k^T and probs.v over all heads
        double projection = hidden * c.ProjectionDim;
        return 2 * (patchEmbed + c.NumHiddenLayers * perLayer + projection);
    }
}
