using Engine.Models.Clip;
using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.ClipSeg;

/// <summary>
/// CLIPSegDecoder (keys film_mul.*, film_add.*, transposed_convolution.*, reduces.N.*, layers.N.*). Reusable with any
/// encoder pair: give it the vision activations (in extraction order, shallow to deep) and a conditioning vector per sample.
/// <para>Step j (j = 0..L-1) consumes activation L-1-j (reverse order): a = reduces[j](act); running = a (j = 0) or
/// a + running; at <c>ConditionalLayer</c>: running = film_mul(cond) * running + film_add(cond) on every token; then
/// post-LN decoder layer j. Head: drop the class token, view as [B, rd, g, g], transposed-conv head, squeeze channel.</para>
/// </summary>
public sealed class ClipSegDecoder : Module
{
    public ClipSegDecoder(ClipSegDecoderOptions options, Random? rng = null)
    {
        Options = options;
        var o = options;
        FilmMul = Add("film_mul", new Linear(o.ConditionDim, o.ReduceDim, rng: rng));
        FilmAdd = Add("film_add", new Linear(o.ConditionDim, o.ReduceDim, rng: rng));
        if (o.ComplexTransposedConvolution) ComplexHead = Add("transposed_convolution", new ComplexTransposedConvolution(o.ReduceDim, o.PatchSize, rng));
        else PlainHead = Add("transposed_convolution", new ConvTranspose2d(o.ReduceDim, 1, o.PatchSize, stride: o.PatchSize, rng: rng));
        Reduces = Add("reduces", new ModuleList<Linear>(Enumerable.Range(0, o.NumLayers).Select(_ => new Linear(o.ActivationDim, o.ReduceDim, rng: rng))));
        Layers = Add("layers", new ModuleList<ClipSegDecoderLayer>(Enumerable.Range(0, o.NumLayers).Select(_ => new ClipSegDecoderLayer(o.ReduceDim, o.Heads, o.IntermediateSize, o.LayerNormEps, rng))));
    }

    public ClipSegDecoderOptions Options { get; }
    public Linear FilmMul { get; }
    public Linear FilmAdd { get; }
    /// <summary>Set when <see cref="ClipSegDecoderOptions.ComplexTransposedConvolution"/>.</summary>
    public ComplexTransposedConvolution? ComplexHead { get; }
    /// <summary>Set otherwise: ConvTranspose2d(rd, 1, patch, stride patch).</summary>
    public ConvTranspose2d? PlainHead { get; }
    public ModuleList<Linear> Reduces { get; }
    public ModuleList<ClipSegDecoderLayer> Layers { get; }

    /// <param name="activations">NumLayers tensors [N, T, ActivationDim] in extraction order (the decoder reverses them).</param>
    /// <param name="conditionalEmbeddings">[M, ConditionDim]. M = N, or a multiple of N: then sample m uses image m / (M/N)
    /// (several prompts per image without copying the activations: the reduced activations are broadcast).</param>
    /// <param name="sink">records input_activation.j, reduce.j, film_mul, film_add, layer_input.j, hidden_states.j,
    /// attentions.j, pre_transposed_conv, tconv.* (scope it with "decoder.").</param>
    /// <returns>logits [M, g*patch, g*patch] (complex head: g*(patch/4)^2).</returns>
    public Tensor Forward(IReadOnlyList<Tensor> activations, Tensor conditionalEmbeddings, IntermediateSink? sink = null)
    {
        var o = Options;
        if (activations.Count != o.NumLayers)
            throw new ArgumentException($"The decoder has {o.NumLayers} layers but got {activations.Count} activations.");
        if (conditionalEmbeddings.Rank != 2 || conditionalEmbeddings.Shape[1] != o.ConditionDim)
            throw new ArgumentException($"conditional_embeddings must be [batch, {o.ConditionDim}] (found {Shape.Format(conditionalEmbeddings.Shape)}).");
        int n = activations[0].Shape[0], t = activations[0].Shape[1], m = conditionalEmbeddings.Shape[0];
        foreach (var a in activations)
            if (a.Rank != 3 || a.Shape[0] != n || a.Shape[1] != t || a.Shape[2] != o.ActivationDim)
                throw new ArgumentException($"Decoder activations must all be [{n}, {t}, {o.ActivationDim}] (found {Shape.Format(a.Shape)}).");
        if (m % n != 0) throw new ArgumentException($"The batch of conditional embeddings ({m}) must equal or be a multiple of the image batch ({n}).");
        int perImage = m / n;

        bool wantProbs = sink?.RecordAttentions ?? false;
        Tensor? running = null;
        for (int j = 0; j < o.NumLayers; j++)
        {
            var act = activations[o.NumLayers - 1 - j];
            sink?.Add($"input_activation.{j}", act);
            var reduced = Reduces[j].Forward(act);
            if (perImage > 1) reduced = reduced.Unsqueeze(1).Expand(n, perImage, t, o.ReduceDim).Reshape(m, t, o.ReduceDim);
            sink?.Add($"reduce.{j}", reduced);
            running = running is null ? reduced : Ops.Add(reduced, running);
            if (j == o.ConditionalLayer)
            {
                var mul = FilmMul.Forward(conditionalEmbeddings);
                var add = FilmAdd.Forward(conditionalEmbeddings);
                sink?.Add("film_mul", mul);
                sink?.Add("film_add", add);
                running = Ops.Add(Ops.Mul(mul.Unsqueeze(1), running), add.Unsqueeze(1));
            }
            sink?.Add($"layer_input.{j}", running);
            running = Layers[j].Forward(running, wantProbs, out var probs);
            sink?.Add($"hidden_states.{j}", running);
            if (probs != null) sink!.Add($"attentions.{j}", probs);
        }

        int g = (int)Math.Round(Math.Sqrt(t - 1));
        if (g * g != t - 1) throw new ArgumentException($"The decoder needs a square patch grid; {t - 1} patch tokens are not a square.");
        var grid = running!.Slice(1, 1, t).Transpose(1, 2).Reshape(m, o.ReduceDim, g, g);
        sink?.Add("pre_transposed_conv", grid);
        var logits = ComplexHead != null ? ComplexHead.Forward(grid, sink) : PlainHead!.Forward(grid);
        return logits.Squeeze(1);
    }
}
