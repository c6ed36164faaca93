using Engine.Nn;

namespace Engine.Models.Loading;

/// <summary>Reads the gradients of a module's parameters after backward, under checkpoint key names.</summary>
public static class GradientCollector
{
    /// <summary>
    /// Gradients of every parameter of <paramref name="model"/>. Parameters that received none are listed in
    /// <c>withoutGrad</c>; with <paramref name="zeroFillMissing"/> they are also returned as zeros (the golden
    /// full-graph convention), otherwise left out (the golden frozen-encoder convention). With <paramref name="toCpu"/>
    /// false they stay on the parameters' device (a benchmark's training step on a GPU would otherwise time copying
    /// 600 MB of gradients to the host).
    /// </summary>
    public static (Dictionary<string, Tensor> grads, List<string> withoutGrad) Collect(Module model, bool zeroFillMissing, bool toCpu = true)
    {
        var grads = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var without = new List<string>();
        foreach (var (name, p) in model.NamedParameters())
        {
            var g = p.Value.Grad;
            if (g is null)
            {
                without.Add(name);
                if (zeroFillMissing) grads[name] = Tensor.Zeros(DType.F32, toCpu ? Device.Cpu : p.Value.Device, (int[])p.Shape.Clone());
                continue;
            }
            grads[name] = toCpu ? g.Detach().To(Device.Cpu).Contiguous() : g.Detach();
        }
        return (grads, without);
    }

    /// <summary>Clears the gradients of every parameter (before a new backward).</summary>
    public static void Zero(Module model)
    {
        foreach (var p in model.Parameters()) p.Value.ZeroGrad();
    }
}
