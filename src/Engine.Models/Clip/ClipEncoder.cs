using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>Stack of <see cref="ClipEncoderLayer"/> under "layers.N".</summary>
public sealed class ClipEncoder : Module
{
    public ClipEncoder(int layers, int hidden, int heads, int intermediate, string activation, float eps, Random? rng = null)
    {
        Layers = Add("layers", new ModuleList<ClipEncoderLayer>(Enumerable.Range(0, layers).Select(_ => new ClipEncoderLayer(hidden, heads, intermediate, activation, eps, rng))));
    }

    public ModuleList<ClipEncoderLayer> Layers { get; }

    /// <summary>
    /// Runs layers 0 .. <paramref name="layerCount"/>-1 (all when null). Returns hidden_states: index 0 = the input,
    /// index i = output of layer i-1. Records "hidden_states.i" and (when the sink asks) "attentions.i".
    /// </summary>
    public List<Tensor> Forward(Tensor x, Tensor? additiveMask, IntermediateSink? sink, int? layerCount = null)
    {
        int n = layerCount ?? Layers.Count;
        if (n < 0 || n > Layers.Count) throw new ArgumentOutOfRangeException(nameof(layerCount), $"Cannot run {n} of {Layers.Count} layers.");
        var states = new List<Tensor>(n + 1) { x };
        sink?.Add("hidden_states.0", x);
        bool wantProbs = sink?.RecordAttentions ?? false;
        for (int i = 0; i < n; i++)
        {
            x = Layers[i].Forward(x, additiveMask, wantProbs, out var probs);
            states.Add(x);
            sink?.Add($"hidden_states.{i + 1}", x);
            if (probs != null) sink!.Add($"attentions.{i}", probs);
        }
        return states;
    }
}
