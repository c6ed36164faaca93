using Engine.Backends;

namespace Engine;

/// <summary>
/// The differentiable op set (the engine's torch.nn.functional). Every op: validates shapes with a clear message,
/// dispatches to the tensor's backend, and records its backward with <see cref="Tensor.WithGrad"/>.
/// Files are grouped by family (Ops.Elementwise.cs, Ops.MatMul.cs, ...); forward and backward live together.
/// </summary>
public static partial class Ops
{
    /// <summary>Copies <paramref name="src"/> into the (possibly strided) view <paramref name="dst"/>; same shape, same
    /// device, no autograd (a building block for ops and their backward passes).</summary>
    public static void CopyInto(Tensor dst, Tensor src)
    {
        if (!dst.Shape.SameAs(src.Shape)) throw new ArgumentException($"CopyInto: shapes {Shape.Format(dst.Shape)} and {Shape.Format(src.Shape)} differ.");
        if (dst.Device != src.Device) throw new ArgumentException($"CopyInto: devices {dst.Device} and {src.Device} differ.");
        BackendRegistry.Get(dst.Device).CopyStrided(src.Storage, src.Offset, src.Strides, src.Shape, dst.Storage, dst.Offset, dst.Strides);
    }
}
