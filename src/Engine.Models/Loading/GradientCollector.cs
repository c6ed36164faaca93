using Engine.Nn;

namespace Engine.Models.Loading;

/// <summary>Reads the gradients of a module's parameters after backward, under checkpoint key names.</summary>
public static class GradientCollector
{
    /// <summary>
    /// Gradients of every parameter of <paramref name="model"/>. Parameters that received none are listed in
    /// <c>withoutGrad</c>; with <paramref name="zeroFillMissing"/> they are also returned as zeros (the golden
    /// full-graph convention), otherwise left out (the golden frozen-encoder convention).
    /// </summary>
    public static (Dictionary<string, Tensor> grads, List<string> withoutGrad) Collect(Module model, bool zeroFillMissing)
    {
        var grads = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var without = new List<string>();
        foreach (var (name, p) in model.NamedParameters())
        {
            var g = p.Value.Grad;
            if (g is null)
            {
                without.Add(name);
                if (zeroFillMissing) grads[name] = Tensor.Zeros((int[])p.Shape.Clone());
                continue;
            }
            grads[name] = g.Detach().To(Device.Cpu).Contiguous();
        }
        return (grads, without);
    }

    /// <summary>Clears the gradients of every parameter (before a new backward).</summary>
    public static void Zero(Module model)
    {
        foreach (var p in model.Parameters()) p.Value.ZeroGrad();
    }
}
