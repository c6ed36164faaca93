using Engine.Backends;
using Engine.Kernels.Cpu;

namespace Engine;

/// <summary>
/// A Linear weight [out, in] packed once for the CPU GEMM, for inference: <see cref="Ops.Linear(Tensor, PackedLinearWeight, Tensor?)"/>
/// then skips re-packing the weight on every call (10-20 % of a ViT-B/16 forward at batch 1). Holds a packed copy (as
/// much memory again as the weight), so it is opt-in: modules pack when asked (see Engine.Nn's
/// Module.PackForInference) and drop the copy when their weight changes. Dispose to free it at once.
/// </summary>
public sealed class PackedLinearWeight : IDisposable
{
    private PackedLinearWeight(PackedMatrixB matrix, int inFeatures, int outFeatures)
    {
        Matrix = matrix; InFeatures = inFeatures; OutFeatures = outFeatures;
    }

    internal PackedMatrixB Matrix { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>Packs a float32 CPU weight [out, in]; null for anything else (other devices keep the plain path).</summary>
    public static PackedLinearWeight? TryPack(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Device.Kind != DeviceKind.Cpu || weight.DType != DType.F32 || weight.Rank != 2 || weight.Numel == 0) return null;
        var w = weight.Detach().Contiguous();
        int outF = w.Shape[0], inF = w.Shape[1];
        var matrix = PackedMatrixB.Create(true, CpuBackend.Floats(w.Storage), (int)w.Offset, inF, inF, outF);
        return new PackedLinearWeight(matrix, inF, outF);
    }

    public void Dispose() => Matrix.Dispose();
}
